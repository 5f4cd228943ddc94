/// Scalar gates on component outputs, for the gradient estimators.
///
/// A gated component's output becomes `a + α (b − a)`: `a` is what the component computes
/// (it depends on the gates upstream), `b` its baseline (zero, its mean, or a resampled
/// output: the ablation's own replacement), `α` the gate's position on the path from the
/// clean run (α = 0) to the ablated one (α = 1). One backward pass then gives, per gated
/// component, two directional derivatives of the metric f:
///
/// - `towardBaseline` = Σ_positions (b − a) · ∂f/∂out = ∂f/∂α (attribution patching at
///   α = 0, the integrand of integrated gradients elsewhere);
/// - `alongOutput` = Σ_positions a · ∂f/∂out = ∂f/∂g for a multiplicative gate out = g·a at
///   g = 1 (the gate gradient; meaningful at α = 0).
final class GateState {
    let baseline: Ablation
    let alpha: [Component: Float]
    /// Each gated component's own output `a` in the last forward pass (T × d_model).
    var own: [Component: [Float]] = [:]
    var towardBaseline: [Component: Double] = [:]
    var alongOutput: [Component: Double] = [:]
    private(set) var offsets: [Int] = []

    init(baseline: Ablation, alpha: [Component: Float]) {
        self.baseline = baseline
        self.alpha = alpha
    }

    func gatesHead(in layer: Int, heads: Int) -> Bool {
        (0..<heads).contains { alpha[.head(layer: layer, head: $0)] != nil }
    }

    /// The baseline row of token `t` at position `p` of its sequence, or nil for zero.
    private func baselineRow(_ c: Component, token t: Int, position p: Int, width D: Int) -> ArraySlice<Float>? {
        switch baseline {
        case .zero: return nil
        case .mean(let means): return means.vector(c, position: p)
        case .resample(let outputs): return outputs[c]![(t * D)..<((t + 1) * D)]
        }
    }

    /// Checks that every gated component has a baseline of the right size for `tokens`.
    func check(_ model: Transformer, tokens: Int) throws {
        for c in alpha.keys {
            guard c.isScoredComponent else { throw GCError("\(c) cannot be gated: heads and MLPs only") }
            try model.checkComponent(c)
            switch baseline {
            case .zero: break
            case .mean(let means):
                guard means.values[c] != nil else { throw GCError("no mean for component \(c)") }
                guard means.width(c) == model.config.dModel else { throw GCError("the mean of \(c) has width \(means.width(c)), not d_model") }
            case .resample(let outputs):
                guard let v = outputs[c] else { throw GCError("no resampled output for component \(c)") }
                guard v.count == tokens * model.config.dModel else {
                    throw GCError("resample baseline: the source batch has \(v.count / model.config.dModel) tokens, this one \(tokens) (same row lengths needed)")
                }
            }
        }
    }

    /// Keeps `out` as the component's own output, then moves it a fraction α toward the baseline.
    func blend(_ c: Component, _ out: UnsafeMutablePointer<Float>, tokens T: Int, width D: Int, offsets: [Int]) {
        guard let a = alpha[c] else { return }
        self.offsets = offsets
        own[c] = Array(UnsafeBufferPointer(start: out, count: T * D))
        guard a != 0 else { return }
        for s in 0..<(offsets.count - 1) {
            for t in offsets[s]..<offsets[s + 1] {
                let row = out + t * D
                if let b = baselineRow(c, token: t, position: t - offsets[s], width: D) {
                    var i = 0
                    for x in b { row[i] += a * (x - row[i]); i += 1 }
                } else {
                    for i in 0..<D { row[i] -= a * row[i] }
                }
            }
        }
    }

    /// Records both directional derivatives from d(f)/d(out) (`dout`, T × d_model).
    func collect(_ c: Component, _ dout: UnsafePointer<Float>, tokens T: Int, width D: Int) {
        guard let a = own[c] else { return }
        var toward = 0.0, along = 0.0
        a.withUnsafeBufferPointer { own in
            for s in 0..<(offsets.count - 1) {
                for t in offsets[s]..<offsets[s + 1] {
                    let row = own.baseAddress! + t * D, d = dout + t * D
                    var sa: Float = 0, sb: Float = 0
                    if let b = baselineRow(c, token: t, position: t - offsets[s], width: D) {
                        var i = 0
                        for x in b { sa += row[i] * d[i]; sb += (x - row[i]) * d[i]; i += 1 }
                    } else {
                        for i in 0..<D { sa += row[i] * d[i] }
                        sb = -sa
                    }
                    along += Double(sa); toward += Double(sb)
                }
            }
        }
        towardBaseline[c] = toward
        alongOutput[c] = along
    }
}

extension Component {
    /// True for an MLP's output.
    public var isMLP: Bool {
        if case .mlp = self { return true }
        return false
    }

    /// True for the scored components: heads (result_h) and MLPs.
    public var isScoredComponent: Bool {
        switch self {
        case .head, .mlp: return true
        default: return false
        }
    }
}
