import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A training run's settings. The protocol's values are not written here: they come from
/// its one home (the Lua preset `gcgap.protocol`, docs/protocol.md) through `m:train`.
public struct TrainOptions {
    public var maxSteps: Int
    public var lr: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float = 0
    public var batchSize: Int
    public var lengths: ClosedRange<Int>
    /// Evaluate every this many steps (0: never).
    public var evalEvery: Int
    /// Size of the fixed evaluation set (training distribution).
    public var evalSize: Int
    /// Stop once the evaluation accuracy reaches this (nil: run all steps).
    public var targetAccuracy: Double?
    /// Seed of the data streams ("train" for batches, "train-eval" for the fixed set).
    public var seed: UInt64 = 0
    /// A file that keeps the run's state every `checkpointEvery` steps; a run started with
    /// the same options and an existing checkpoint resumes from it, bit for bit.
    public var checkpoint: FilePath? = nil
    public var checkpointEvery = 500
    /// Every this many steps (0: never) `train` hands the model to its `snapshot` callback,
    /// so a caller can keep copies and score the model along training.
    public var snapshotEvery = 0

    public init(steps: Int, lr: Float, beta1: Float, beta2: Float, eps: Float, batchSize: Int, lengths: ClosedRange<Int>,
                evalEvery: Int, evalSize: Int, targetAccuracy: Double?) {
        maxSteps = steps; self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.batchSize = batchSize; self.lengths = lengths
        self.evalEvery = evalEvery; self.evalSize = evalSize; self.targetAccuracy = targetAccuracy
    }

    /// What fixes the trajectory of a run (a checkpoint resumes only a run with the same).
    func fingerprint(_ model: Transformer) -> String {
        "seed=\(seed) lr=\(lr.bitPattern) b1=\(beta1.bitPattern) b2=\(beta2.bitPattern) eps=\(eps.bitPattern) wd=\(weightDecay.bitPattern) "
            + "batch=\(batchSize) lengths=\(lengths.lowerBound)-\(lengths.upperBound) eval=\(evalEvery)x\(evalSize) "
            + "target=\(targetAccuracy.map { String($0.bitPattern) } ?? "none") model=\(model.config) eps_ln=\(model.config.lnEps.bitPattern)"
    }
}

/// A training run's state between steps: with the model's parameters, all that a resumed
/// run needs to continue exactly as an uninterrupted one would.
public struct TrainingState {
    public var step: Int
    public var adamStep: Int
    public var adamM: [Float]
    public var adamV: [Float]
    public var history: [(step: Int, loss: Double, accuracy: Double)]
    public var lossSum: Double
    public var lossCount: Int
    public var lastAccuracy: Double?
    public var lastLoss: Double

    /// Writes the state and the model's parameters (atomically).
    func save(_ model: Transformer, to path: FilePath, fingerprint: String) throws {
        let n = model.parameterCount
        let params = Array(UnsafeBufferPointer(start: model.parameters.pointer, count: n))
        func hex(_ d: Double) -> String { String(d.bitPattern, radix: 16) }
        let meta: [String: String] = [
            "format": "gcgap/training-checkpoint", "fingerprint": fingerprint, "step": "\(step)", "adam_step": "\(adamStep)",
            "loss_sum": hex(lossSum), "loss_count": "\(lossCount)", "last_loss": hex(lastLoss),
            "last_accuracy": lastAccuracy.map(hex) ?? "",
            "history": history.map { "\($0.step):\(hex($0.loss)):\(hex($0.accuracy))" }.joined(separator: ";"),
        ]
        try SafeTensors.write(path: path, [("params", Tensor(unchecked: [n], params)), ("adam_m", Tensor(unchecked: [n], adamM)),
                                           ("adam_v", Tensor(unchecked: [n], adamV))], metadata: meta)
    }

    /// Reads a checkpoint for `model`, for a run of `maxSteps` steps, and writes its
    /// parameters into it. Nil when the file does not exist; an error when it belongs to
    /// another run or is damaged. Read as strictly as a model checkpoint (`Transformer.load`):
    /// - exactly the tensors params, adam_m and adam_v, each F32 (as written) of shape [n]
    ///   for the model's n parameters; parameters finite and within ±maxParameterMagnitude,
    ///   moments finite, adam_v ≥ 0 (a second moment is a mean of squares);
    /// - step, adam_step and loss_count decimal integers (no sign, no leading zero) with
    ///   adam_step = step (one Adam update a step), loss_count ≤ step, and step ≤ maxSteps:
    ///   a longer run's checkpoint is an error (the run would return more steps than asked);
    /// - loss_sum and last_loss finite, last_accuracy empty or in [0, 1], history (present,
    ///   maybe empty) steps increasing within 1...step with finite losses and accuracies in
    ///   [0, 1]; doubles as the hex digits of their bits, as `save` writes them.
    static func load(_ model: Transformer, from path: FilePath, fingerprint: String, maxSteps: Int) throws -> TrainingState? {
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { return nil }
        let f = try SafeTensors.read(path: path)
        let meta = f.metadata
        func bad(_ why: String) -> GCError { GCError("training checkpoint '\(path)': \(why)") }
        guard meta["format"] == "gcgap/training-checkpoint" else { throw bad("not a training checkpoint") }
        guard meta["fingerprint"] == fingerprint else {
            throw bad("it belongs to a run with other options or another model (delete it to start over)")
        }
        let (p, m, v) = try arrays(f, count: model.parameterCount, bad)
        var state = try counters(meta, bad)
        guard state.step <= maxSteps else {
            throw bad("it holds step \(state.step), beyond this run's steps = \(maxSteps) (raise steps to resume it, or delete it)")
        }
        state.adamM = m.data; state.adamV = v.data
        model.parameters.pointer.update(from: p.data, count: p.count)
        return state
    }

    /// The three arrays of a training checkpoint, checked.
    private static func arrays(_ f: SafeTensors.File, count n: Int, _ bad: (String) -> GCError) throws -> (Tensor, Tensor, Tensor) {
        let names = ["params", "adam_m", "adam_v"]
        guard Set(f.names) == Set(names) else { throw bad("tensors \(f.names.sorted()); exactly \(names) expected") }
        for name in names {
            guard f.dtypes[name] == "F32" else { throw bad("'\(name)' has dtype \(f.dtypes[name] ?? "?"), F32 expected") }
            guard f.tensors[name]!.shape == [n] else {
                throw bad("'\(name)' has shape \(Tensor.format(f.tensors[name]!.shape)), expected [\(n)] (this model's parameters)")
            }
        }
        let p = f.tensors["params"]!, m = f.tensors["adam_m"]!, v = f.tensors["adam_v"]!
        guard p.data.allSatisfy({ $0.isFinite && abs($0) <= Transformer.maxParameterMagnitude }) else {
            throw bad("parameters hold NaN, inf or values beyond ±\(Transformer.maxParameterMagnitude)")
        }
        guard m.data.allSatisfy({ $0.isFinite }) else { throw bad("adam_m holds NaN or inf") }
        guard v.data.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw bad("adam_v holds NaN, inf or a negative value") }
        return (p, m, v)
    }

    /// A double written as the hex digits of its bits (as `save` writes it): 1 to 16 hex
    /// digits, nothing else (no sign, no prefix).
    private static func hexDouble<S: StringProtocol>(_ s: S) -> Double? {
        guard !s.isEmpty, s.count <= 16, s.allSatisfy(\.isHexDigit), let b = UInt64(s, radix: 16) else { return nil }
        return Double(bitPattern: b)
    }

    /// The step counters, losses and history of a training checkpoint's metadata, checked
    /// (moments left empty).
    private static func counters(_ meta: [String: String], _ bad: (String) -> GCError) throws -> TrainingState {
        func int(_ k: String) throws -> Int {
            guard let s = meta[k], let v = Int(s), v >= 0, String(v) == s else { throw bad("'\(k)' is not a non-negative integer") }
            return v
        }
        func dbl(_ k: String, _ ok: (Double) -> Bool) throws -> Double {
            guard let s = meta[k], let v = hexDouble(s), ok(v) else { throw bad("bad '\(k)'") }
            return v
        }
        let isAccuracy = { (a: Double) in a >= 0 && a <= 1 }
        let step = try int("step"), adamStep = try int("adam_step"), lossCount = try int("loss_count")
        guard adamStep == step else { throw bad("adam_step = \(adamStep) differs from step = \(step)") }
        guard lossCount <= step else { throw bad("loss_count = \(lossCount) is more than step = \(step)") }
        guard let h = meta["history"], let lastAccuracy = meta["last_accuracy"] else { throw bad("'history' or 'last_accuracy' is missing") }
        var history: [(step: Int, loss: Double, accuracy: Double)] = []
        for item in h.isEmpty ? [] : h.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let s = Int(parts[0]), String(s) == parts[0], s > (history.last?.step ?? 0), s <= step,
                  let l = hexDouble(parts[1]), let a = hexDouble(parts[2]), l.isFinite, isAccuracy(a) else { throw bad("bad history") }
            history.append((s, l, a))
        }
        let lastAcc = lastAccuracy.isEmpty ? nil : try dbl("last_accuracy", isAccuracy)
        return TrainingState(step: step, adamStep: adamStep, adamM: [], adamV: [], history: history,
                             lossSum: try dbl("loss_sum", \.isFinite), lossCount: lossCount, lastAccuracy: lastAcc,
                             lastLoss: try dbl("last_loss", \.isFinite))
    }
}

/// One training step's state, for progress display.
public struct TrainStatus {
    public var step: Int
    public var maxSteps: Int
    public var loss: Double
    public var accuracy: Double?
    public var elapsed: Double
    /// The accuracy that stops the run early (nil: every step runs).
    public var target: Double? = nil
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
                  shouldStop: () -> Bool = { false },
                  resume: TrainingState? = nil,
                  checkpoint: ((TrainingState) throws -> Void)? = nil,
                  snapshot: ((Int) throws -> Void)? = nil) throws -> TrainResult {
    guard o.maxSteps >= 0 else { throw GCError("steps must be >= 0, got \(o.maxSteps)") }
    guard o.lr > 0, o.lr.isFinite else { throw GCError("lr must be a positive number, got \(o.lr)") }
    let adam = Adam(parameterCount: model.parameterCount, lr: o.lr, beta1: o.beta1, beta2: o.beta2,
                    eps: o.eps, weightDecay: o.weightDecay)
    let start = Date()
    var history: [(step: Int, loss: Double, accuracy: Double)] = []
    var lastLoss = Double.nan, lastAcc: Double? = nil, reached = false, step = 0
    var lossAcc = 0.0, lossN = 0
    if let r = resume {
        try adam.restore(step: r.adamStep, m: r.adamM, v: r.adamV)
        step = r.step; history = r.history; lossAcc = r.lossSum; lossN = r.lossCount
        lastAcc = r.lastAccuracy; lastLoss = r.lastLoss
        if let t = o.targetAccuracy, let a = lastAcc, history.last?.step == step, a >= t { reached = true }
    }
    func state() -> TrainingState {
        let a = adam.state
        return TrainingState(step: step, adamStep: a.step, adamM: a.m, adamV: a.v, history: history, lossSum: lossAcc,
                             lossCount: lossN, lastAccuracy: lastAcc, lastLoss: lastLoss)
    }
    while step < o.maxSteps && !reached {
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
                              elapsed: Date().timeIntervalSince(start), target: o.targetAccuracy))
        if let save = checkpoint, o.checkpointEvery > 0, step % o.checkpointEvery == 0 { try checkFinite(model, step: step); try save(state()) }
        if let keep = snapshot, o.snapshotEvery > 0, step % o.snapshotEvery == 0 { try checkFinite(model, step: step); try keep(step) }
        if reached { break }
    }
    if step > 0 { try checkFinite(model, step: step) }
    if !reached, let evaluate = evaluate, history.last?.step != step, step > 0 {
        let acc = try evaluate()
        lastAcc = acc
        history.append((step, lossN > 0 ? lossAcc / Double(lossN) : lastLoss, acc))
        if let t = o.targetAccuracy, acc >= t { reached = true }
    }
    return TrainResult(steps: step, loss: lastLoss, accuracy: lastAcc, reachedTarget: reached,
                       seconds: Date().timeIntervalSince(start), history: history)
}

/// An update can overflow after the step's loss was checked (huge resumed moments, a huge
/// learning rate): a run never saves nor returns a model with NaN or infinite parameters.
private func checkFinite(_ model: Transformer, step: Int) throws {
    let p = UnsafeBufferPointer(start: model.parameters.pointer, count: model.parameterCount)
    guard p.allSatisfy({ $0.isFinite }) else { throw GCError("training diverged by step \(step): a parameter is NaN or inf") }
}

/// PROTOCOL.md's training of a model on a task: batches from stream "train" of the seed,
/// accuracy every `evalEvery` steps on `evalSize` samples from stream "train-eval".
public func train(_ model: Transformer, task: AlgorithmicTask, options o: TrainOptions,
                  progress: ((TrainStatus) -> Void)? = nil,
                  shouldStop: () -> Bool = { false },
                  snapshot: ((Int) throws -> Void)? = nil) throws -> TrainResult {
    var rng = Rng(seed: o.seed, stream: "train")
    let evalSet = o.evalEvery > 0 && o.evalSize > 0
        ? try task.batch(size: o.evalSize, lengths: o.lengths, seed: o.seed, stream: "train-eval") : nil
    var resume: TrainingState? = nil
    let fingerprint = o.fingerprint(model) + " task=\(task.name)"
    if let path = o.checkpoint, let r = try TrainingState.load(model, from: path, fingerprint: fingerprint, maxSteps: o.maxSteps) {
        // the data stream, replayed to where the checkpoint left it (batches are cheap)
        for _ in 0..<r.step {
            if shouldStop() { throw GCError.interrupted }
            _ = try task.batch(size: o.batchSize, lengths: o.lengths, rng: &rng)
        }
        resume = r
    }
    return try train(model, options: o,
                     nextBatch: { _ in try task.batch(size: o.batchSize, lengths: o.lengths, rng: &rng) },
                     evaluate: evalSet.map { set in { try model.evaluate(set).accuracy } },
                     progress: progress, shouldStop: shouldStop, resume: resume,
                     checkpoint: o.checkpoint.map { path in { st in try st.save(model, to: path, fingerprint: fingerprint) } },
                     snapshot: snapshot)
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
        // a run with a target stops when it reaches it, at a step nobody knows in advance:
        // the time to the last step is only a bound
        let end = s.target.map { String(format: "until acc %.2f, at most %@", $0, duration(eta)) } ?? "ETA " + duration(eta)
        return String(format: "%@ step %d/%d  loss %.4f%@  %.0f steps/s  %@", label, s.step, s.maxSteps, s.loss, acc, rate, end)
    }
}
