import CBLAS
import Foundation
import GCCore

// gcgap-bench: speed figures of the native core on the PROTOCOL model and batch.
//
//   swift run -c release gcgap-bench [--steps N] [--threads 1,2] [--shapes]
//
// Prints, per BLAS thread count: median ms per training step (forward, backward, Adam)
// on batches of 64 reversal samples of lengths 3..7, forward tokens per second on the
// same batches, and the effective GFLOP/s of the step (matrix-product FLOPs of forward
// and backward over the step time). With --shapes, the GFLOP/s OpenBLAS reaches on each
// matrix-product shape of the step.

var steps = 30
var threadCounts = [1, 2]
var shapes = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--steps": steps = Int(args.popFirst() ?? "") ?? steps
    case "--threads": threadCounts = (args.popFirst() ?? "1").split(separator: ",").compactMap { Int($0) }
    case "--shapes": shapes = true
    default: print("usage: gcgap-bench [--steps N] [--threads 1,2] [--shapes]"); exit(2)
    }
}

func now() -> Double { Date().timeIntervalSince1970 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

let env = ProcessInfo.processInfo.environment
print("gcgap-bench  OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "(unset)")  OPENBLAS_L2_SIZE=\(env["OPENBLAS_L2_SIZE"] ?? "(unset)")")
let config = ModelConfig()
print("model: \(config)")

let task = AlgorithmicTask.reverse()
var rng = Rng(seed: 42, stream: "bench")
let batches = try (0..<8).map { _ in try task.batch(size: 64, lengths: 3...7, rng: &rng) }
let tokens = batches.map { b in b.rows.reduce(0) { $0 + $1.count - 1 } }
let meanTokens = Double(tokens.reduce(0, +)) / Double(tokens.count)
let targets = Double(batches.map(\.targetCount).reduce(0, +)) / Double(batches.count)

/// Matrix-product FLOPs of one forward pass over T packed tokens with R logit rows.
func forwardFlops(_ T: Double, _ R: Double) -> Double {
    let c = config
    let D = Double(c.dModel), HD = Double(c.nHeads * c.dHead), M = Double(c.dMLP), V = Double(c.dVocab)
    return Double(c.nLayers) * 2 * T * (D * 3 * HD + HD * D + 2 * D * M) + 2 * R * D * V
}
let stepFlops = 3 * forwardFlops(meanTokens, targets)
print(String(format: "batch: 64 samples, lengths 3..7, %.0f tokens, %.0f target rows on average; step ≈ %.2f GFLOP of matrix products",
             meanTokens, targets, stepFlops / 1e9))

for threads in threadCounts {
    BLAS.setThreads(threads)
    let m = try Transformer(config: config, seed: 42)
    let adam = Adam(parameterCount: m.parameterCount)
    for b in batches.prefix(3) { try m.lossAndGradient(b); adam.update(m.parameters.pointer, m.gradients.pointer) }
    var times: [Double] = []
    for i in 0..<steps {
        let b = batches[i % batches.count]
        let t0 = now()
        try m.lossAndGradient(b)
        adam.update(m.parameters.pointer, m.gradients.pointer)
        times.append(now() - t0)
    }
    var fwd: [Double] = []
    for i in 0..<steps {
        let b = batches[i % batches.count]
        let t0 = now()
        _ = try m.evaluate(b)
        fwd.append(now() - t0)
    }
    let step = median(times), f = median(fwd)
    print(String(format: "threads %d: train step %.1f ms (median of %d), forward %.1f ms = %.0f tokens/s, effective %.1f GFLOP/s",
                 threads, step * 1000, steps, f * 1000, meanTokens / f, stepFlops / step / 1e9))
}

if shapes {
    BLAS.setThreads(1)
    let T = Int(meanTokens), D = config.dModel, M = config.dMLP, HD = config.nHeads * config.dHead
    let list: [(String, Int, Int, Int, String)] = [
        ("QKV  x·W", T, 3 * HD, D, "NN"), ("O    z·W", T, D, HD, "NN"), ("in   x·W", T, M, D, "NN"), ("out  h·W", T, D, M, "NN"),
        ("dX   dY·Wᵀ (in)", T, D, M, "NT"), ("dX   dY·Wᵀ (out)", T, M, D, "NT"), ("dW   Xᵀ·dY (in)", D, M, T, "TN"),
        ("dW   Xᵀ·dY (out)", M, D, T, "TN"), ("dW   Xᵀ·dY (qkv)", D, 3 * HD, T, "TN"),
    ]
    for (name, m, n, k, kind) in list {
        let a = [Float](repeating: 0.5, count: m * k + k * m), b = [Float](repeating: 0.25, count: k * n + n * k)
        var c = [Float](repeating: 0, count: m * n)
        var ts: [Double] = []
        for _ in 0..<50 {
            let t0 = now()
            switch kind {
            case "NN": cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
            case "NT": cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
            default: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(m), b, Int32(n), 1, &c, Int32(n))
            }
            ts.append(now() - t0)
        }
        let t = median(ts)
        print((name.padding(toLength: 20, withPad: " ", startingAt: 0)) + String(format: " %4d x %4d x %4d  %7.1f µs  %6.1f GFLOP/s", m, n, k, t * 1e6, 2 * Double(m * n * k) / t / 1e9))
    }
}
