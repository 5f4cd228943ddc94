import Foundation
import Testing
@testable import GCCore

/// gcgap against TransformerLens 3.9.0 / PyTorch 2.15 on the committed fixture made by
/// `Tests/Fixtures/make_reference.py` (a 2-layer, 2-head, d_model 16 model, a batch of four
/// reversal samples of lengths 3, 5, 4 and 7).
/// Tolerance: |gcgap - torch| <= 1e-4 · max(|gcgap|, |torch|) + 1e-6, elementwise.
@Suite("Matches TransformerLens on the committed fixture")
struct ReferenceFixtureTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let rtol: Float = 1e-4, atol: Float = 1e-6

    let reference: SafeTensors.File
    let model: Transformer
    let batch: TokenBatch

    init() throws {
        reference = try SafeTensors.read(path: Self.dir + "/reference_outputs.safetensors")
        model = try Transformer.load(path: Self.dir + "/reference_model.safetensors")
        let rows = reference.tensors["rows"]!, lengths = reference.tensors["row_lengths"]!
        let width = rows.shape[1]
        batch = try TokenBatch(rows: (0..<rows.shape[0]).map { i in
            (0..<Int(lengths.data[i])).map { Int32(rows.data[i * width + $0]) }
        })
    }

    func expectClose(_ ours: [Float], _ name: String, _ comment: String) {
        let theirs = reference.tensors[name]!.data
        let c = closeness(ours, theirs, rtol: Self.rtol, atol: Self.atol)
        #expect(c <= 1, "\(comment): worst ratio \(c)")
    }

    @Test func configurationInferredFromShapes() {
        let c = model.config
        #expect(c.nLayers == 2 && c.nHeads == 2 && c.dModel == 16 && c.dHead == 8 && c.dMLP == 32)
        #expect(c.dVocab == 104 && c.nCtx == 24 && c.positions == .none && c.activation == .gelu)
    }

    @Test func logits() throws {
        expectClose(try model.logits(batch).data, "logits", "logits")
    }

    @Test func logitsWithLearnedPositions() throws {
        let learned = try Transformer.load(path: Self.dir + "/reference_learned.safetensors")
        #expect(learned.config.positions == .learned)
        expectClose(try learned.logits(batch).data, "logits_learned", "logits (learned positions)")
    }

    @Test func lossAndEveryGradient() throws {
        let e = try model.lossAndGradient(batch)
        let torchLoss = reference.tensors["loss"]!.data[0]
        #expect(abs(Float(e.loss) - torchLoss) <= 1e-5 * abs(torchLoss))
        for name in model.tensorNames where name != "pos_embed.W_pos" {
            expectClose(try model.gradient(named: name).data, "grad." + name, "gradient of \(name)")
        }
    }

    @Test func keyBiasGradientIsZero() throws {
        try model.lossAndGradient(batch)
        for l in 0..<model.config.nLayers {
            #expect(try model.gradient(named: "blocks.\(l).attn.b_K").norm() < 1e-6)
        }
    }

    @Test func gradientNorms() throws {
        try model.lossAndGradient(batch)
        let norms = model.componentGradientNorms(.raw)
        expectClose(model.config.components.map { Float(norms[$0]!) }, "grad_norms", "||dL/dW_V[h]||, ||dL/dW_out||")
    }

    @Test func threeAdamSteps() throws {
        let m = try model.copy()
        let adam = Adam(parameterCount: m.parameterCount, lr: 1e-2)
        for _ in 0..<3 {
            try m.lossAndGradient(batch)
            adam.update(m.parameters.pointer, m.gradients.pointer)
        }
        // b_K's exact gradient is zero (a constant added to every key score cancels in the
        // softmax), so both sides hold rounding noise that Adam scales up to ±lr: skip it.
        for name in m.tensorNames where name != "pos_embed.W_pos" && !name.hasSuffix("b_K") {
            let c = closeness(try m.tensor(named: name).data, reference.tensors["adam3." + name]!.data, rtol: 1e-4, atol: 1e-5)
            #expect(c <= 1, "\(name) after 3 Adam steps: worst ratio \(c)")
        }
    }
}
