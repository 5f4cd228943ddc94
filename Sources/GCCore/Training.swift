import Foundation

/// PROTOCOL.md's training defaults.
public struct TrainOptions {
    public var maxSteps = 15_000
    public var lr: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0
    public var batchSize = 64
    public var lengths: ClosedRange<Int> = 3...7
    /// Evaluate every this many steps (0: never).
    public var evalEvery = 100
    /// Size of the fixed evaluation set (training distribution).
    public var evalSize = 256
    /// Stop once the evaluation accuracy reaches this (nil: run all steps).
    public var targetAccuracy: Double? = 0.90
    /// Seed of the data streams ("train" for batches, "train-eval" for the fixed set).
    public var seed: UInt64 = 42
    public init() {}
}

/// One training step's state, for progress display.
public struct TrainStatus {
    public var step: Int
    public var maxSteps: Int
    public var loss: Double
    public var accuracy: Double?
    public var elapsed: Double
    public var stepsPerSecond: Double { elapsed > 0 ? Double(step) / elapsed : 0 }
}

public struct TrainResult {
    public var steps: Int
    public var loss: Double
    /// The last evaluation accuracy (nil when never evaluated).
    public var accuracy: Double?
    public var reachedTarget: Bool
    public var seconds: Double
    /// (step, loss, accuracy) at each evaluation.
    public var history: [(step: Int, loss: Double, accuracy: Double)]
}

/// Trains `model` with Adam on batches from `nextBatch(step)` (1-based step).
/// `evaluate` (if given) runs every `evalEvery` steps and at the end; training stops early
/// when it reaches `targetAccuracy`. `shouldStop` is polled every step (Ctrl-C), and
/// a true answer throws `GCError.interrupted`, leaving the model as trained so far.
public func train(_ model: Transformer, options o: TrainOptions,
                  nextBatch: (Int) throws -> TokenBatch,
                  evaluate: (() throws -> Double)?,
                  progress: ((TrainStatus) -> Void)? = nil,
                  shouldStop: () -> Bool = { false }) throws -> TrainResult {
    guard o.maxSteps >= 0 else { throw GCError("steps must be >= 0, got \(o.maxSteps)") }
    guard o.lr > 0, o.lr.isFinite else { throw GCError("lr must be a positive number, got \(o.lr)") }
    let adam = Adam(parameterCount: model.parameterCount, lr: o.lr, beta1: o.beta1, beta2: o.beta2,
                    eps: o.eps, weightDecay: o.weightDecay)
    let start = Date()
    var history: [(step: Int, loss: Double, accuracy: Double)] = []
    var lastLoss = Double.nan, lastAcc: Double? = nil, reached = false, step = 0
    var lossAcc = 0.0, lossN = 0
    while step < o.maxSteps {
        if shouldStop() { throw GCError.interrupted }
        step += 1
        let batch = try nextBatch(step)
        let e = try model.lossAndGradient(batch)
        guard e.loss.isFinite else { throw GCError("training diverged at step \(step): loss is \(e.loss)") }
        adam.update(model.parameters.pointer, model.gradients.pointer)
        lastLoss = e.loss
        lossAcc += e.loss; lossN += 1
        if let evaluate = evaluate, o.evalEvery > 0, step % o.evalEvery == 0 {
            let acc = try evaluate()
            lastAcc = acc
            history.append((step, lossAcc / Double(lossN), acc))
            lossAcc = 0; lossN = 0
            if let t = o.targetAccuracy, acc >= t { reached = true }
        }
        progress?(TrainStatus(step: step, maxSteps: o.maxSteps, loss: e.loss, accuracy: lastAcc,
                              elapsed: Date().timeIntervalSince(start)))
        if reached { break }
    }
    if !reached, let evaluate = evaluate, history.last?.step != step, step > 0 {
        let acc = try evaluate()
        lastAcc = acc
        history.append((step, lossN > 0 ? lossAcc / Double(lossN) : lastLoss, acc))
        if let t = o.targetAccuracy, acc >= t { reached = true }
    }
    return TrainResult(steps: step, loss: lastLoss, accuracy: lastAcc, reachedTarget: reached,
                       seconds: Date().timeIntervalSince(start), history: history)
}

/// PROTOCOL.md's training of a model on a task: batches from stream "train" of the seed,
/// accuracy every `evalEvery` steps on `evalSize` samples from stream "train-eval".
public func train(_ model: Transformer, task: AlgorithmicTask, options o: TrainOptions,
                  progress: ((TrainStatus) -> Void)? = nil,
                  shouldStop: () -> Bool = { false }) throws -> TrainResult {
    var rng = Rng(seed: o.seed, stream: "train")
    let evalSet = o.evalEvery > 0 && o.evalSize > 0
        ? try task.batch(size: o.evalSize, lengths: o.lengths, seed: o.seed, stream: "train-eval") : nil
    return try train(model, options: o,
                     nextBatch: { _ in try task.batch(size: o.batchSize, lengths: o.lengths, rng: &rng) },
                     evaluate: evalSet.map { set in { try model.evaluate(set).accuracy } },
                     progress: progress, shouldStop: shouldStop)
}

/// A one-line status on stderr, redrawn in place when stderr is a terminal, silent
/// otherwise (so logs and CI stay clean). At most ten redraws a second.
public final class StatusLine {
    public let enabled: Bool
    private var last = Date.distantPast
    private var shown = false

    public init(enabled: Bool? = nil) { self.enabled = enabled ?? (isatty(2) != 0) }

    public func update(_ text: String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(last) >= 0.1 else { return }
        last = now
        FileHandle.standardError.write(("\r\u{1b}[2K" + text).data(using: .utf8)!)
        shown = true
    }

    /// Ends the line (keeps its last text visible).
    public func finish(_ text: String? = nil) {
        guard enabled else { return }
        if let t = text { update(t, force: true) }
        if shown { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        shown = false
    }

    public static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// "step 1200/15000  loss 0.4321  acc 0.870  312 steps/s  ETA 0:44"
    public static func training(_ s: TrainStatus, label: String = "train") -> String {
        let rate = s.stepsPerSecond
        let eta = rate > 0 ? Double(s.maxSteps - s.step) / rate : .nan
        let acc = s.accuracy.map { String(format: "  acc %.3f", $0) } ?? ""
        return String(format: "%@ step %d/%d  loss %.4f%@  %.0f steps/s  ETA %@ (max)", label, s.step, s.maxSteps, s.loss, acc,
                      rate, duration(eta))
    }
}
