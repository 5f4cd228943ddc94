import CBLAS
import CKernels
import Foundation
import GCCore

// gcgap-bench: speed figures of the native core on the PROTOCOL model and batch.
//
//   swift run -c release gcgap-bench [--steps N] [--rounds R] [--threads 1,2] [--shapes]
//                                    [--torch /path/to/python] [--no-before]
//
// Prints, per BLAS thread count: median ms per training step (forward, backward, Adam)
// on batches of 64 reversal samples of lengths 3..7 (packed, no padding), the forward and
// Adam parts on their own, forward tokens per second, and the effective GFLOP/s of the
// step (matrix-product FLOPs of forward and backward over the step time).
//
// Two configurations are timed in the same run, interleaved round by round so that
// noise from other processes hits both alike:
//   before  every CKernels kernel off: OpenBLAS products and the Swift loops
//           (what GCGAP_KERNEL=openblas gives)
//   after   the default: BLAS.kernelName's products and CKernels' GELU and Adam
// With --torch PYTHON, scripts/bench/torch_step.py runs under that interpreter before each
// round (a subprocess, 1 thread, --steps steps; PyTorch pads the batch, gcgap packs it) and
// the ratio gcgap ("after") / PyTorch is printed, the median over rounds of the round
// medians' ratio; without --torch, or when it fails, the ratio is "not measured".
// With --shapes, the GFLOP/s of OpenBLAS and of the microkernel on each matrix-product
// shape of the step.

var steps = 30
var rounds = 3
var threadCounts = [1]
var shapes = false
var torchPython: String? = nil
var before = true
var args = CommandLine.arguments.dropFirst()
let usage = "usage: gcgap-bench [--steps N] [--rounds R] [--threads 1,2] [--shapes] [--torch PYTHON] [--no-before]"
while let a = args.popFirst() {
    switch a {
    case "--steps": steps = Int(args.popFirst() ?? "") ?? steps
    case "--rounds": rounds = max(1, Int(args.popFirst() ?? "") ?? rounds)
    case "--threads": threadCounts = (args.popFirst() ?? "1").split(separator: ",").compactMap { Int($0) }
    case "--shapes": shapes = true
    case "--torch": torchPython = args.popFirst()
    case "--no-before": before = false
    default: print(usage); exit(2)
    }
}

func now() -> Double { Date().timeIntervalSince1970 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

let env = ProcessInfo.processInfo.environment
print("gcgap-bench  OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "(unset)")  GCGAP_KERNEL=\(env["GCGAP_KERNEL"] ?? "(unset)")")
let defaultKernels = BLAS.useKernels
print("matrix products: \(BLAS.kernelName); element-wise kernels: \(BLAS.elementwiseKernels ? "CKernels" : "Swift loops")")
let config = ModelConfig()
print("model: \(config)")

// PyTorch: one subprocess per round, run just before that round's gcgap steps, so that
// load from other processes hits both alike; the ratio is the median over rounds of
// (gcgap's round median / PyTorch's round median).
var torchNote = "not measured (no --torch PYTHON given)"
var torchRounds: [Double] = []
let torchScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/bench/torch_step.py").path
/// Runs torch_step.py once; its median ms per step, or nil (with `torchNote` saying why).
func torchRound() -> Double? {
    guard let py = torchPython else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: py)
    p.arguments = [torchScript, "--steps", String(steps)]
    var penv = env; penv["OMP_NUM_THREADS"] = "1"; penv["MKL_NUM_THREADS"] = "1"
    p.environment = penv
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    do {
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let edata = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TORCH_STEP_MS") }),
           let f = line.split(separator: " ").first(where: { $0.hasPrefix("median=") }), let ms = Double(f.dropFirst(7)) {
            print("pytorch: \(line)")
            return ms
        }
        torchNote = "not measured (\(py) \(torchScript) exited \(p.terminationStatus): \(String(decoding: edata, as: UTF8.self).split(separator: "\n").last ?? ""))"
    } catch {
        torchNote = "not measured (cannot run \(py): \(error))"
    }
    return nil
}

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

struct Timing { var step: [Double] = [], fwd: [Double] = [], bwd: [Double] = [], adam: [Double] = [] }

for threads in threadCounts {
    BLAS.setThreads(threads)
    // (name, kernels on); "after" is last (the ratio's)
    var configs: [(String, Bool)] = before ? [("before", false)] : []
    configs.append(("after", defaultKernels))
    func apply(_ c: (String, Bool)) { BLAS.useKernels = c.1 }
    var models: [Transformer] = [], adams: [Adam] = []
    for cfg in configs {
        apply(cfg)
        let m = try Transformer(config: config, seed: 42)
        let adam = Adam(parameterCount: m.parameterCount)
        for b in batches.prefix(3) { try m.lossAndGradient(b); adam.update(m.parameters.pointer, m.gradients.pointer) }
        models.append(m); adams.append(adam)
    }
    var timing = [Timing](repeating: Timing(), count: configs.count)
    var roundRatios: [(gcgap: Double, torch: Double)] = []
    for _ in 0..<rounds {
        let torchMs = threads == 1 ? torchRound() : nil
        let roundStart = timing.last!.step.count
        for (ci, cfg) in configs.enumerated() {
            apply(cfg)
            let m = models[ci], adam = adams[ci]
            for i in 0..<steps {
                let b = batches[i % batches.count]
                let t0 = now()
                try m.lossAndGradient(b)
                let t1 = now()
                adam.update(m.parameters.pointer, m.gradients.pointer)
                let t2 = now()
                timing[ci].step.append(t2 - t0); timing[ci].adam.append(t2 - t1)
            }
            for i in 0..<steps {
                let b = batches[i % batches.count]
                let t0 = now()
                _ = try m.evaluate(b)
                timing[ci].fwd.append(now() - t0)
            }
        }
        if let tm = torchMs {
            torchRounds.append(tm)
            roundRatios.append((median(Array(timing.last!.step[roundStart...])) * 1000, tm))
        }
    }
    var stepMs: [String: Double] = [:]
    for (ci, cfg) in configs.enumerated() {
        apply(cfg)
        let name = cfg.0
        let t = timing[ci]
        let step = median(t.step), f = median(t.fwd), ad = median(t.adam)
        stepMs[name] = step * 1000
        let what = "\(BLAS.kernelName) + \(BLAS.elementwiseKernels ? "CKernels GELU/Adam" : "Swift GELU/Adam")"
        print(String(format: "threads %d %@ [%@]: train step %.1f ms (median of %d), forward %.1f ms, backward ≈ %.1f ms, Adam %.2f ms; forward %.0f tokens/s; step %.1f GFLOP/s",
                     threads, name, what, step * 1000, t.step.count, f * 1000, (step - f - ad) * 1000, ad * 1000,
                     meanTokens / f, stepFlops / step / 1e9))
    }
    if let b = stepMs["before"], let a = stepMs["after"] {
        print(String(format: "threads %d speedup after/before: %.2fx (%.1f -> %.1f ms)", threads, b / a, b, a))
    }
    let a = stepMs["after"]!
    if threads == 1 && !roundRatios.isEmpty {
        let tm = median(torchRounds)
        let ratios = roundRatios.map { $0.gcgap / $0.torch }
        print(String(format: "RATIO gcgap/pytorch = %.3f  (median over %d rounds of round-median ratios; per round: %@; gcgap %.1f ms, pytorch %.1f ms, 1 thread, same run)",
                     median(ratios), ratios.count, ratios.map { String(format: "%.3f", $0) }.joined(separator: " "), a, tm))
        if let b = stepMs["before"] { print(String(format: "RATIO before gcgap/pytorch = %.3f  (medians: %.1f / %.1f ms)", b / tm, b, tm)) }
    } else if threads == 1 {
        print("RATIO gcgap/pytorch: \(torchNote)")
    }
}
BLAS.useKernels = defaultKernels

if shapes {
    BLAS.setThreads(1)
    let T = Int(meanTokens), D = config.dModel, M = config.dMLP, HD = config.nHeads * config.dHead
    let list: [(String, Int, Int, Int, String)] = [
        ("QKV  x·W", T, 3 * HD, D, "NN"), ("O    z·W", T, D, HD, "NN"), ("in   x·W", T, M, D, "NN"), ("out  h·W", T, D, M, "NN"),
        ("dX   dY·Wᵀ (in)", T, D, M, "NT"), ("dX   dY·Wᵀ (out)", T, M, D, "NT"), ("dW   Xᵀ·dY (in)", D, M, T, "TN"),
        ("dW   Xᵀ·dY (out)", M, D, T, "TN"), ("dW   Xᵀ·dY (qkv)", D, 3 * HD, T, "TN"),
    ]
    print("shape                    m      n      k   OpenBLAS            microkernel")
    for (name, m, n, k, kind) in list {
        let a = [Float](repeating: 0.5, count: m * k + k * m), b = [Float](repeating: 0.25, count: k * n + n * k)
        var c = [Float](repeating: 0, count: m * n)
        func run(_ micro: Bool) -> Double {
            var ts: [Double] = []
            for _ in 0..<50 {
                let t0 = now()
                let (tA, tB): (Int32, Int32) = kind == "NN" ? (0, 0) : kind == "NT" ? (0, 1) : (1, 0)
                let lda = Int32(tA == 1 ? m : k), ldb = Int32(tB == 1 ? k : n), beta: Float = kind == "TN" ? 1 : 0
                if micro {
                    _ = gck_sgemm(tA, tB, Int32(m), Int32(n), Int32(k), a, lda, b, ldb, beta, &c, Int32(n))
                } else {
                    cblas_sgemm(CblasRowMajor, tA == 1 ? CblasTrans : CblasNoTrans, tB == 1 ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1, a, lda, b, ldb, beta, &c, Int32(n))
                }
                ts.append(now() - t0)
            }
            return median(ts)
        }
        let tb = run(false), tm = BLAS.useMicrokernel ? run(true) : .nan
        let fl = 2 * Double(m * n * k)
        print((name.padding(toLength: 20, withPad: " ", startingAt: 0)) +
              String(format: " %4d x %4d x %4d  %7.1f µs %5.1f GF/s  %7.1f µs %5.1f GF/s", m, n, k, tb * 1e6, fl / tb / 1e9, tm * 1e6, fl / tm / 1e9))
    }
}
