import CLua
import CLuaShim
import Foundation
import GCCore

/// `gcgap.model`: the transformer, its passes, training and checkpoints.
enum ModelBinding {
    static func model(_ c: LuaCall) throws -> Transformer { try c.object(1, GCTypes.model) }

    /// The model, for a method that runs a pass or changes it: not while it is mid-pass.
    static func passModel(_ c: LuaCall) throws -> Transformer {
        let m = try c.object(1, GCTypes.model)
        guard !m.inPass else {
            throw c.argError(1, "the model is in the middle of a pass (a hook cannot run a pass of its own model or change it; use m:copy())")
        }
        return m
    }

    /// Reads PROTOCOL sizes from an options table into a configuration.
    static func config(_ o: LuaOptions) throws -> ModelConfig {
        var c = ModelConfig()
        c.nLayers = try o.integer("n_layers", in: 1...64) ?? c.nLayers
        c.nHeads = try o.integer("n_heads", in: 1...256) ?? c.nHeads
        c.dModel = try o.integer("d_model", in: 1...16384) ?? c.dModel
        c.dHead = try o.integer("d_head", in: 1...4096) ?? c.dHead
        c.dMLP = try o.integer("d_mlp", in: 1...65536) ?? c.dMLP
        c.nCtx = try o.integer("n_ctx", in: 1...65536) ?? c.nCtx
        c.dVocab = try o.integer("d_vocab", in: 1...1_048_576) ?? c.dVocab
        if let a = try o.choice("act", ModelConfig.Activation.allCases.map(\.rawValue)) { c.activation = .init(rawValue: a)! }
        if let p = try o.choice("positions", ModelConfig.Positions.allCases.map(\.rawValue)) { c.positions = .init(rawValue: p)! }
        if let e = try o.number("eps") {
            guard e > 0, Float(e).isFinite, Float(e) > 0 else { throw o.call.argError(o.index, "option 'eps': positive number expected, got \(e)") }
            c.lnEps = Float(e)
        }
        return c
    }

    static func pushConfig(_ s: LuaState, _ m: Transformer) {
        let c = m.config
        s.newTable(hash: 12)
        let ints: [(String, Int)] = [("n_layers", c.nLayers), ("n_heads", c.nHeads), ("d_model", c.dModel),
                                     ("d_head", c.dHead), ("d_mlp", c.dMLP), ("n_ctx", c.nCtx), ("d_vocab", c.dVocab),
                                     ("parameters", m.parameterCount)]
        for (k, v) in ints { s.push(v); s.setField(-2, k) }
        s.push(c.activation.rawValue); s.setField(-2, "act")
        s.push(c.positions.rawValue); s.setField(-2, "positions")
        s.push(Double(c.lnEps)); s.setField(-2, "eps")
        if let seed = m.seed { s.push(Int(Int64(bitPattern: seed))); s.setField(-2, "seed") }
    }

    static func pushEvaluation(_ s: LuaState, _ e: Transformer.Evaluation) {
        s.newTable(hash: 4)
        s.push(e.loss); s.setField(-2, "loss")
        s.push(e.accuracy); s.setField(-2, "accuracy")
        s.push(e.targetCount); s.setField(-2, "targets")
        s.push(e.tokenAccuracy); s.setField(-2, "token_accuracy")
        s.push(e.margin); s.setField(-2, "margin")
        if let d = e.logitDiff { s.push(d); s.setField(-2, "logit_diff") }
        s.push(e.prob); s.setField(-2, "prob")
        s.newTable(array: e.correct.count)
        for (i, v) in e.correct.enumerated() { s.push(v); s.setIndex(-2, i + 1) }
        s.setField(-2, "correct")
    }

    /// Lua hooks: the function sees the output as a tensor [batch, position, width]
    /// (right-padded with zeros; width d_model, d_head or d_mlp), or for an attention
    /// pattern [batch, query, key], and the hook point's name; returning a tensor of that
    /// shape replaces the output (patterns excepted), and so does editing `out` in place
    /// (`out:select(2, 3):copy(...)`) and returning nil; returning nil otherwise leaves it.
    static func luaHook(_ state: LuaState, _ fn: LuaRef, name: String) -> ComponentHook {
        return { [weak state] out in
            guard let state = state else { throw GCError("the Lua state is closed") }
            let B = out.offsets.count - 1
            let lens = (0..<B).map { out.offsets[$0 + 1] - out.offsets[$0] }
            let n = lens.max() ?? 0
            if out.isPattern {
                var data = [Float](repeating: 0, count: B * n * n)
                var at = 0
                for s in 0..<B {
                    let k = lens[s]
                    for q in 0..<k { for j in 0..<k { data[(s * n + q) * n + j] = out.values[at + q * k + j] } }
                    at += k * k
                }
                try state.protectedCall(fn, results: 1) {
                    state.pushTensor(try Tensor(shape: [B, n, n], data: data)); state.push(out.component.description); return 2
                }
                defer { state.pop() }
                guard lua_type(state.L, -1) == LUA_TNIL else {
                    throw GCError("hook on \(out.component) returned a value: attention patterns can be read, not replaced")
                }
                return false
            }
            let D = out.dModel
            var data = [Float](repeating: 0, count: B * n * D)
            for s in 0..<B { for p in 0..<lens[s] { for i in 0..<D { data[(s * n + p) * D + i] = out.values[(out.offsets[s] + p) * D + i] } } }
            let shape = [B, n, D]
            // `out` edited in place (t:fill, views' copy...) and nil returned counts as returned
            let box = TensorBox(try Tensor(shape: shape, data: data))
            try state.protectedCall(fn, results: 1) {
                state.pushObject(box, GCTypes.tensor); state.push(out.component.description); return 2
            }
            defer { state.pop() }
            if lua_type(state.L, -1) == LUA_TNIL && box.version == 0 { return false }
            guard let r = lua_type(state.L, -1) == LUA_TNIL ? box.value : state.object(at: -1, GCTypes.tensor)?.value else {
                throw GCError("hook on \(out.component) must return a tensor or nil, got \(state.typeName(at: -1))")
            }
            guard r.shape == shape else {
                throw GCError("hook on \(out.component) returned shape \(r.shape), expected \(shape)")
            }
            guard r.data.allSatisfy({ $0.isFinite }) else {
                throw GCError("hook on \(out.component) returned NaN or inf")
            }
            for s in 0..<B { for p in 0..<lens[s] { for i in 0..<D { out.values[(out.offsets[s] + p) * D + i] = r.data[(s * n + p) * D + i] } } }
            return true
        }
    }

    static func logits(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c), b = try c.batch(2, for: m)
        c.state.pushTensor(try m.logits(b, hooks: try AblateOption.hooks(c, 3, model: m, batch: b))); return 1
    }

    static func loss(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c), b = try c.batch(2, for: m)
        c.state.push(try AblateOption.evaluate(c, 3, model: m, batch: b).loss); return 1
    }

    static func evaluate(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c), b = try c.batch(2, for: m)
        pushEvaluation(c.state, try AblateOption.evaluate(c, 3, model: m, batch: b, metric: true)); return 1
    }

    static func accuracy(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c), b = try c.batch(2, for: m)
        c.state.push(try AblateOption.evaluate(c, 3, model: m, batch: b).accuracy); return 1
    }

    static func grad_norms(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let norm = try o.choice("norm", Transformer.GradientNorm.allCases.map(\.rawValue)) ?? "raw"
        let whole = try o.boolean("whole_wv") ?? false
        try o.finish()
        try m.lossAndGradient(b)
        c.state.pushComponentTable(m.componentGradientNorms(.init(rawValue: norm)!, wholeWV: whole))
        return 1
    }

    static func save(_ c: LuaCall) throws -> Int32 {
        let m = try model(c), path = try c.path(2, .write)
        guard !m.inPass else { throw c.argError(1, "the model is in the middle of a pass") }
        try c.arg(2) { try m.save(path: path) }
        return 0
    }

    static func configMethod(_ c: LuaCall) throws -> Int32 {
        pushConfig(c.state, try model(c))
        return 1
    }

    static func params(_ c: LuaCall) throws -> Int32 {
        c.state.pushStringList(try model(c).tensorNames)
        return 1
    }

    static func param(_ c: LuaCall) throws -> Int32 {
        let m = try model(c), name = try c.string(2)
        c.state.pushTensor(try c.arg(2) { try m.tensor(named: name) })
        return 1
    }

    static func grad(_ c: LuaCall) throws -> Int32 {
        let m = try model(c), name = try c.string(2)
        c.state.pushTensor(try c.arg(2) { try m.gradient(named: name) })
        return 1
    }

    static func set_param(_ c: LuaCall) throws -> Int32 {
        let m = try model(c), name = try c.string(2), t = try c.tensor(3)
        guard !m.inPass else { throw c.argError(1, "the model is in the middle of a pass (a hook cannot change its own model)") }
        guard m.tensorShape(named: name) != nil else { _ = try c.arg(2) { try m.tensor(named: name) }; return 0 }
        try c.arg(3) { try m.setTensor(named: name, t) }
        return 0
    }

    static func copyModel(_ c: LuaCall) throws -> Int32 {
        c.state.pushObject(try model(c).copy(), GCTypes.model)
        return 1
    }

    static func componentNames(_ c: LuaCall) throws -> Int32 {
        c.state.pushStringList(try model(c).config.components.map(\.description))
        return 1
    }

    static func addHook(_ c: LuaCall) throws -> Int32 {
        let m = try model(c)
        let comp = try c.component(2, for: m)
        try c.function(3)
        let ref = c.state.reference(at: 3)
        let id = try m.addHook(comp, luaHook(c.state, ref, name: comp.description))
        c.state.pushObject(HookHandle(model: m, id: id, component: comp), GCTypes.hook)
        return 1
    }

    static func clear_hooks(_ c: LuaCall) throws -> Int32 {
        try model(c).removeAllHooks()
        return 0
    }

    static func describeModel(_ c: LuaCall) throws -> Int32 {
        let m = try c.object(1, GCTypes.model)
        c.state.push("model(\(m.config), \(m.parameterCount) parameters\(m.seed.map { ", seed \($0)" } ?? ""))")
        return 1
    }

    static func removeHook(_ c: LuaCall) throws -> Int32 {
        let h = try c.object(1, GCTypes.hook)
        c.state.push(h.model?.removeHook(h.id) ?? false); return 1
    }

    static func describeHook(_ c: LuaCall) throws -> Int32 {
        c.state.push("hook(\(try c.object(1, GCTypes.hook).component))")
        return 1
    }

    static func batchSize(_ c: LuaCall) throws -> Int32 {
        c.state.push(try c.object(1, GCTypes.batch).value.size)
        return 1
    }

    static func batchRows(_ c: LuaCall) throws -> Int32 {
        let b = try c.object(1, GCTypes.batch).value
        c.state.newTable(array: b.size)
        for (i, r) in b.rows.enumerated() {
            c.state.newTable(array: r.count)
            for (k, v) in r.enumerated() { c.state.push(Int(v)); c.state.setIndex(-2, k + 1) }
            c.state.setIndex(-2, i + 1)
        }
        return 1
    }

    static func batchTokens(_ c: LuaCall) throws -> Int32 {
        let b = try c.object(1, GCTypes.batch).value
        let p = b.padded()
        c.state.pushTensor(try Tensor(shape: [p.count, p.first?.count ?? 0], data: p.flatMap { $0.map(Float.init) }))
        return 1
    }

    static func batchTargets(_ c: LuaCall) throws -> Int32 {
        c.state.push(try c.object(1, GCTypes.batch).value.targetCount)
        return 1
    }

    static func length(_ c: LuaCall) throws -> Int32 {
        c.state.push(try c.object(1, GCTypes.batch).value.size)
        return 1
    }

    static func describeBatch(_ c: LuaCall) throws -> Int32 {
        let b = try c.object(1, GCTypes.batch).value
        let lens = b.rows.map(\.count)
        c.state.push("batch(\(b.size) rows, lengths \(lens.min()!)..\(lens.max()!), \(b.targetCount) targets)")
        return 1
    }

    static func newModel(_ c: LuaCall) throws -> Int32 {
        let o = try c.options(1)
        let cfg = try config(o)
        let seed = try o.integer("seed")
        try o.finish()
        let m = try c.arg(1) { try Transformer(config: cfg, seed: UInt64(bitPattern: Int64(seed ?? 0))) }
        if seed == nil { m.seed = 0 }
        c.state.pushObject(m, GCTypes.model); return 1
    }

    static func loadModel(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .read)
        let o = try c.options(2)
        var lo = Transformer.LoadOptions()
        if let a = try o.choice("act", ModelConfig.Activation.allCases.map(\.rawValue)) { lo.activation = .init(rawValue: a) }
        if let p = try o.choice("positions", ModelConfig.Positions.allCases.map(\.rawValue)) { lo.positions = .init(rawValue: p) }
        if let e = try o.number("eps") {
            guard e > 0 else { throw c.argError(2, "option 'eps': positive number expected, got \(e)") }
            lo.eps = Float(e)
        }
        let quiet = try o.boolean("quiet") ?? false
        try o.finish()
        let (m, assumed) = try c.arg(1) { try Transformer.load(path: path, options: lo) }
        if !quiet {
            for a in assumed { fputs("gcgap: \(path): assumed \(a)\n", stderr) }
        }
        c.state.pushObject(m, GCTypes.model)
        return 1
    }

    static func newBatch(_ c: LuaCall) throws -> Int32 {
        c.state.pushObject(BatchBox(try c.batch(1)), GCTypes.batch)
        return 1
    }

    /// gcgap.hook_points(m) -> {{name =, tl =, width =, replaceable =}, ...}, in forward order.
    static func hookPoints(_ c: LuaCall) throws -> Int32 {
        let points = try model(c).hookPoints
        c.state.newTable(array: points.count)
        for (k, p) in points.enumerated() {
            c.state.newTable(hash: 4)
            c.state.push(p.name); c.state.setField(-2, "name")
            c.state.push(p.transformerLens); c.state.setField(-2, "tl")
            c.state.push(p.width); c.state.setField(-2, "width")
            c.state.push(p.replaceable); c.state.setField(-2, "replaceable")
            c.state.setIndex(-2, k + 1)
        }
        return 1
    }

    static func register(_ lua: LuaState) {
        let methods: [(String, LuaFunction)] = [
            ("logits", logits),
            ("loss", loss),
            ("evaluate", evaluate),
            ("accuracy", accuracy),
            ("grad_norms", grad_norms),
            ("train", train),
            ("save", save),
            ("config", configMethod),
            ("params", params),
            ("param", param),
            ("grad", grad),
            ("set_param", set_param),
            ("copy", copyModel),
            ("components", componentNames),
            ("hook", addHook),
            ("clear_hooks", clear_hooks),
        ]
        lua.registerType(GCTypes.model, methods: methods, metamethods: [
            ("__tostring", describeModel),
        ])
        lua.registerType(GCTypes.hook, methods: [
            ("remove", removeHook),
        ], metamethods: [
            ("__tostring", describeHook),
        ])
        lua.registerType(GCTypes.batch, methods: [
            ("size", batchSize),
            ("rows", batchRows),
            ("tokens", batchTokens),
            ("targets", batchTargets),
        ], metamethods: [
            ("__len", length),
            ("__tostring", describeBatch),
        ])
    }

    static func functions() -> [(String, LuaFunction)] {
        [
            ("model", newModel),
            ("load", loadModel),
            ("batch", newBatch),
            ("hook_points", hookPoints),
        ]
    }

    /// The `target` option: an accuracy to stop at, or false (run every step).
    static func targetOption(_ c: LuaCall, _ opts: LuaOptions) throws -> Double? {
        let t = opts.push("target"); defer { c.state.pop() }
        if t == LUA_TNIL { return try ProtocolDefaults.number(c, "train.target", option: "target", blame: 3) }
        if t == LUA_TBOOLEAN && lua_toboolean(c.L, -1) == 0 { return nil }
        guard t == LUA_TNUMBER else { throw c.argError(3, "option 'target': number or false expected") }
        return lua_tonumberx(c.L, -1, nil)
    }

    /// The protocol's training lengths {lo, hi}.
    static func protocolLengths(_ c: LuaCall) throws -> ClosedRange<Int> {
        let l = try ProtocolDefaults.integers(c, "train.lengths", option: "lengths", blame: 3)
        guard l.count == 2, l[0] >= 1, l[0] <= l[1], l[1] <= Limits.maxLength else {
            throw c.argError(3, "option 'lengths': the protocol's default (gcgap.protocol: train.lengths) is not a valid {lo, hi}")
        }
        return l[0]...l[1]
    }

    /// m:train's options: the settings of a run, the protocol's where left out.
    static func trainOptions(_ c: LuaCall, _ opts: LuaOptions, model m: Transformer) throws -> TrainOptions {
        func number(_ key: String, _ path: String) throws -> Float {
            Float(try opts.number(key) ?? ProtocolDefaults.number(c, path, option: key, blame: 3))
        }
        func integer(_ key: String, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
            try opts.integer(key, in: range) ?? ProtocolDefaults.integer(c, path, option: key, blame: 3)
        }
        var o = TrainOptions(steps: try integer("steps", "train.steps", 0...100_000_000), lr: try number("lr", "train.lr"),
                             beta1: try number("beta1", "adam.beta1"), beta2: try number("beta2", "adam.beta2"),
                             eps: try number("eps", "adam.eps"), batchSize: try integer("batch", "train.batch", 1...1_000_000),
                             lengths: try opts.lengths("lengths") ?? protocolLengths(c),
                             evalEvery: try integer("eval_every", "eval_every", 0...100_000_000),
                             evalSize: try integer("eval_size", "eval_size", 1...1_000_000), targetAccuracy: try targetOption(c, opts))
        o.weightDecay = Float(try opts.number("weight_decay") ?? 0)
        if opts.has("checkpoint") {
            defer { c.state.pop() }
            guard opts.push("checkpoint") == LUA_TSTRING else { throw c.argError(3, "option 'checkpoint': file name expected") }
            o.checkpoint = try c.arg(3, option: "checkpoint") {
                let path = try FilePath(bytes: Array(try c.bytes(lua_gettop(c.L))))
                try c.state.filePolicy?.check(path, .write)
                return path
            }
        }
        o.checkpointEvery = try opts.integer("checkpoint_every", in: 1...100_000_000) ?? o.checkpointEvery
        o.snapshotEvery = try opts.integer("snapshot_every", in: 1...100_000_000) ?? 0
        if o.snapshotEvery > 0 && o.checkpoint != nil {
            throw c.argError(3, "option 'snapshot_every': cannot be combined with 'checkpoint' (a resumed run would lack the earlier snapshots)")
        }
        if o.snapshotEvery > 0 && o.maxSteps / o.snapshotEvery > maxSnapshots {
            throw c.argError(3, "option 'snapshot_every': \(o.maxSteps / o.snapshotEvery) snapshots of \(o.maxSteps) steps; at most \(maxSnapshots)")
        }
        o.seed = try opts.integer("seed").map { UInt64(bitPattern: Int64($0)) } ?? m.seed ?? 0
        try checkTrainOptions(c, opts, o)
        return o
    }

    /// Adam's numbers and the sizes of a run, checked before anything is allocated.
    static func checkTrainOptions(_ c: LuaCall, _ opts: LuaOptions, _ o: TrainOptions) throws {
        try opts.checkSamples(o.batchSize, length: o.lengths.upperBound, "batch")
        try opts.checkSamples(o.evalSize, length: o.lengths.upperBound, "eval_size")
        let rules: [(String, Float, (Float) -> Bool, String)] = [
            ("lr", o.lr, { $0 > 0 }, "positive number"), ("eps", o.eps, { $0 > 0 }, "positive number"),
            ("beta1", o.beta1, { $0 >= 0 && $0 < 1 }, "number in [0, 1)"), ("beta2", o.beta2, { $0 >= 0 && $0 < 1 }, "number in [0, 1)"),
            ("weight_decay", o.weightDecay, { $0 >= 0 }, "non-negative number"),
        ]
        for (key, v, ok, what) in rules where !(ok(v) && v.isFinite) {
            throw c.argError(3, "option '\(key)': \(what) expected, got \(v)")
        }
    }

    /// Where a run's batches come from: a task (with the built-in or a Lua evaluation), or a
    /// Lua function of the step.
    static func trainBatches(_ c: LuaCall, task: AlgorithmicTask?, options o: TrainOptions) -> (Int) throws -> TokenBatch {
        let state = c.state
        if let task {
            var rng = Rng(seed: o.seed, stream: "train")
            return { [o] _ in try task.batch(size: o.batchSize, lengths: o.lengths, rng: &rng) }
        }
        let fn = c.state.reference(at: 2)
        return { step in
            try state.protectedCall(fn, results: 1) { state.push(step); return 1 }
            defer { state.pop() }
            if let b = state.object(at: -1, GCTypes.batch) { return b.value }
            guard lua_type(state.L, -1) == LUA_TTABLE else {
                throw c.argError(2, "the batch function must return a batch or token rows, got \(state.typeName(at: -1))")
            }
            let call = LuaCall(L: state.L, name: "train", isMethod: false, state: state)
            do { return try TokenBatch(rows: try call.tokenRows(lua_gettop(state.L))) } catch let e as GCError {
                throw c.argError(2, "the batch function returned bad rows: \(e.message)")
            }
        }
    }

    /// m:train(task_or_function, opts)
    static func train(_ c: LuaCall) throws -> Int32 {
        let m = try passModel(c)
        let task = c.state.object(at: 2, GCTypes.task)?.value
        guard task != nil || c.type(2) == LUA_TFUNCTION else { throw c.typeError(2, "task or function") }
        let opts = try c.options(3)
        let o = try trainOptions(c, opts, model: m)
        let quiet = try opts.boolean("quiet") ?? false
        let label = try opts.string("label") ?? "train"
        let et = opts.push("eval")
        let evalRef = et == LUA_TFUNCTION ? c.state.reference(at: -1) : nil
        c.state.pop()
        if et != LUA_TNIL && et != LUA_TFUNCTION { throw c.argError(3, "option 'eval': function expected") }
        try opts.finish()
        if o.checkpoint != nil && (task == nil || evalRef != nil) {
            throw c.argError(3, "option 'checkpoint': needs a task and the built-in evaluation (a run fed by Lua functions cannot be replayed)")
        }
        let status = StatusLine(enabled: quiet ? false : nil)
        defer { status.finish() }
        let progress: (TrainStatus) -> Void = { s in status.update(StatusLine.training(s, label: label)) }
        let state = c.state
        var snapshots: [(step: Int, model: Transformer)] = []
        let keep: ((Int) throws -> Void)? = o.snapshotEvery > 0 ? { step in snapshots.append((step, try m.copy())) } : nil
        let result: TrainResult
        if let task, evalRef == nil {
            result = try c.arg(3, option: nil) {
                do { return try GCCore.train(m, task: task, options: o, progress: progress, shouldStop: ScoringBinding.stop, snapshot: keep) }
                catch let e as GCError where e.message.hasPrefix("training checkpoint") { throw GCError("option 'checkpoint': \(e.message)") }
            }
        } else {
            result = try GCCore.train(m, options: o, nextBatch: trainBatches(c, task: task, options: o),
                                      evaluate: evalRef.map { e in { try luaNumber(state, e, "eval") } }, progress: progress,
                                      shouldStop: ScoringBinding.stop, snapshot: keep)
        }
        pushTrainResult(c.state, result)
        if keep != nil { pushSnapshots(c.state, snapshots) }
        return 1
    }

    /// The most snapshots one run keeps (each is a whole model).
    static let maxSnapshots = 1000

    /// result.snapshots = {{step = s, model = copy}, ...}, on the result table on top.
    static func pushSnapshots(_ s: LuaState, _ snapshots: [(step: Int, model: Transformer)]) {
        s.newTable(array: snapshots.count)
        for (i, snap) in snapshots.enumerated() {
            s.newTable(hash: 2)
            s.push(snap.step); s.setField(-2, "step")
            s.pushObject(snap.model, GCTypes.model); s.setField(-2, "model")
            s.setIndex(-2, i + 1)
        }
        s.setField(-2, "snapshots")
    }

    static func pushTrainResult(_ s: LuaState, _ result: TrainResult) {
        s.newTable(hash: 6)
        s.push(result.steps); s.setField(-2, "steps")
        s.push(result.loss); s.setField(-2, "loss")
        if let a = result.accuracy { s.push(a); s.setField(-2, "accuracy") }
        s.push(result.reachedTarget); s.setField(-2, "reached")
        s.push(result.seconds); s.setField(-2, "seconds")
        s.newTable(array: result.history.count)
        for (i, h) in result.history.enumerated() {
            s.newTable(hash: 3)
            s.push(h.step); s.setField(-2, "step")
            s.push(h.loss); s.setField(-2, "loss")
            s.push(h.accuracy); s.setField(-2, "accuracy")
            s.setIndex(-2, i + 1)
        }
        s.setField(-2, "history")
    }

    static func luaNumber(_ s: LuaState, _ fn: LuaRef, _ what: String) throws -> Double {
        try s.protectedCall(fn, results: 1) { 0 }
        defer { s.pop() }
        guard lua_type(s.L, -1) == LUA_TNUMBER else {
            throw GCError("the \(what) function must return a number, got \(s.typeName(at: -1))")
        }
        return lua_tonumberx(s.L, -1, nil)
    }
}
