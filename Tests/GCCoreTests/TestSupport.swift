@testable import GCCore

/// A tiny configuration for exhaustive checks.
func tinyConfig(positions: ModelConfig.Positions = .none, activation: ModelConfig.Activation = .gelu) -> ModelConfig {
    var c = ModelConfig()
    c.nLayers = 2; c.nHeads = 2; c.dModel = 8; c.dHead = 4; c.dMLP = 16; c.nCtx = 24; c.dVocab = 104
    c.positions = positions; c.activation = activation
    return c
}

/// A model whose LayerNorm weights and biases are random too, so every path matters.
func randomModel(_ c: ModelConfig, seed: UInt64) throws -> Transformer {
    let m = try Transformer(config: c, seed: seed)
    var rng = Rng(seed: seed, stream: "test-ln")
    for name in m.tensorNames where name.contains("ln") || name.hasSuffix("W_pos") {
        var t = try m.tensor(named: name)
        for i in 0..<t.count { t.data[i] = (name.hasSuffix(".w") ? 1 : 0) + 0.5 * rng.uniform(-1, 1) }
        try m.setTensor(named: name, t)
    }
    return m
}

func randomData(_ n: Int, _ rng: inout Rng, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in scale * rng.uniform(-1, 1) }
}

/// Max over i of |a-b| / (atol + rtol·max(|a|,|b|)): <= 1 means within tolerance.
func closeness(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> Float {
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / (atol + rtol * max(abs(x), abs(y)))) }
    return a.count == b.count ? worst : .infinity
}
