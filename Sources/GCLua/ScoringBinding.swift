import CLua
import CLuaShim
import GCCore

/// `gcgap.score.*` (G, C, joint and many ablations, interactions, patching) and `gcgap.ood`.
/// The ablation options are read by `InterventionOptions`, the component lists by
/// `LuaCall.components`, and the protocol's numbers come from `ProtocolDefaults`.
enum ScoringBinding {
    /// Whether a native loop should stop: Ctrl-C, or a sandbox's limit (time, native memory).
    static let stop: () -> Bool = {
        gclimits_native_live(NativeMemory.live)
        if gcshim_interrupt_pending() != 0 { gcshim_interrupt_clear(); return true }
        return false
    }

    static func seed(_ o: LuaOptions, model m: Transformer) throws -> UInt64 {
        UInt64(bitPattern: Int64(try o.integer("seed") ?? Int(Int64(bitPattern: m.seed ?? 0))))
    }

    // MARK: OOD

    /// The `lengths` option of gcgap.ood (the protocol's OOD lengths by default).
    static func oodLengths(_ c: LuaCall, _ o: LuaOptions) throws -> [Int] {
        defer { c.state.pop() }
        let t = o.push("lengths")
        if t == LUA_TNIL { return try ProtocolDefaults.integers(c, "ood.lengths", option: "lengths", blame: 3) }
        guard t == LUA_TTABLE, c.rawLength(-1) <= 4096 else { throw c.argError(3, "option 'lengths': list of lengths expected") }
        let at = lua_gettop(c.L)
        return try (0..<c.rawLength(at)).map { k in
            lua_rawgeti(c.L, at, lua_Integer(k + 1)); defer { c.state.pop() }
            var ok: Int32 = 0
            let v = lua_tointegerx(c.L, -1, &ok)
            guard ok != 0, v >= 1, v <= Limits.maxLength else {
                throw c.argError(3, "option 'lengths': integers in 1..\(Limits.maxLength) expected")
            }
            return Int(v)
        }
    }

    /// The `range` option of gcgap.ood: {lo, hi} accuracies (the protocol's by default).
    static func oodRange(_ c: LuaCall, _ o: LuaOptions) throws -> ClosedRange<Double> {
        let t = o.push("range")
        c.state.pop()
        let (lo, hi): (Double, Double)
        if t == LUA_TNIL {
            (lo, hi) = try ProtocolDefaults.pair(c, "ood.range", option: "range", blame: 3)
        } else {
            guard let p = try o.numberPair("range") else { throw c.argError(3, "option 'range': {lo, hi} expected") }
            (lo, hi) = p
        }
        guard lo <= hi else { throw c.argError(3, "option 'range': {lo, hi} with lo <= hi expected") }
        return lo...hi
    }

    static func ood(_ c: LuaCall) throws -> Int32 {
        let m = try ModelBinding.passModel(c), task = try c.object(2, GCTypes.task).value
        let o = try c.options(3)
        let lengths = try oodLengths(c, o), range = try oodRange(c, o)
        let size = try o.integer("size", in: 1...1_000_000) ?? ProtocolDefaults.integer(c, "set_size", option: "size", blame: 3)
        let seed = try seed(o, model: m)
        try o.finish()
        try o.checkSamples(size, length: lengths.max() ?? 1, "size")
        let sel = try c.arg(1) { try selectOODLength(m, task: task, lengths: lengths, range: range, size: size, seed: seed) }
        pushSelection(c.state, sel)
        return 1
    }

    static func pushSelection(_ s: LuaState, _ sel: OODSelection) {
        s.newTable(hash: 3)
        if let n = sel.length { s.push(n); s.setField(-2, "length") }
        s.newTable(array: sel.accuracies.count)
        for (k, a) in sel.accuracies.enumerated() {
            s.newTable(hash: 2); s.push(a.length); s.setField(-2, "length"); s.push(a.accuracy); s.setField(-2, "accuracy")
            s.setIndex(-2, k + 1)
        }
        s.setField(-2, "accuracies")
        if let set = sel.set { s.pushObject(BatchBox(set), GCTypes.batch); s.setField(-2, "set") }
    }

    static let functions: [(String, LuaFunction)] = [("ood", ood)]

    // MARK: G

    /// Batches for G: `batches` of `batch` samples at `length`, from stream "grad-N" of seed.
    static func gradientBatches(_ c: LuaCall, _ o: LuaOptions, model m: Transformer, task: AlgorithmicTask) throws -> [TokenBatch] {
        guard let length = try o.lengths("length") else { throw c.argError(3, "option 'length' is required (the OOD length)") }
        let n = try o.integer("batches", in: 1...100_000) ?? ProtocolDefaults.integer(c, "grad.batches", option: "batches", blame: 3)
        let size = try o.integer("batch", in: 1...100_000) ?? ProtocolDefaults.integer(c, "grad.batch", option: "batch", blame: 3)
        guard (1...100_000).contains(n), (1...100_000).contains(size) else { throw c.argError(3, "option 'batches': 1..100000 batches of 1..100000") }
        try o.checkSamples(n * size, length: length.upperBound, "batches")
        let stream = try o.string("stream") ?? "grad-\(length.lowerBound)"
        var rng = Rng(seed: try seed(o, model: m), stream: stream)
        return try c.arg(2) { try (0..<n).map { _ in try task.batch(size: size, lengths: length, rng: &rng) } }
    }

    static func gradient(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), task = try c.object(2, GCTypes.task).value
        let o = try c.options(3)
        let norm = try o.choice("norm", Transformer.GradientNorm.allCases.map(\.rawValue)) ?? "raw"
        let whole = try o.boolean("whole_wv") ?? false
        let batches = try gradientBatches(c, o, model: m, task: task)
        try o.finish()
        // one pass gives both: per-param = raw / sqrt(entries), batch by batch
        let (raw, taylor) = try c.arg(1) { try m.gradientAndTaylorScores(batches, norm: .raw, wholeWV: whole, shouldStop: progress.stop) }
        let perParam = m.perParameter(raw, wholeWV: whole)
        c.state.pushComponentTable(norm == "raw" ? raw : perParam)
        c.state.pushComponentTable(norm == "raw" ? perParam : raw)
        c.state.pushComponentTable(taylor)
        return 3
    }

    static func taylor(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), task = try c.object(2, GCTypes.task).value
        let o = try c.options(3)
        let batches = try gradientBatches(c, o, model: m, task: task)
        try o.finish()
        c.state.pushComponentTable(try c.arg(1) { try m.taylorScores(batches, shouldStop: progress.stop) })
        return 1
    }

    // MARK: C

    /// The `sets` option of score.causal: {["L0.H0"] = batch, ...}, a set per component.
    static func causalSets(_ c: LuaCall, _ o: LuaOptions, model m: Transformer) throws -> [Component: TokenBatch] {
        defer { c.state.pop() }
        let st = o.push("sets")
        if st == LUA_TNIL { return [:] }
        guard st == LUA_TTABLE else { throw c.argError(3, "option 'sets': table expected") }
        var sets: [Component: TokenBatch] = [:]
        let t = lua_gettop(c.L)
        lua_pushnil(c.L)
        while lua_next(c.L, t) != 0 {
            defer { c.state.pop() }
            guard let name = c.state.string(at: -2), let comp = Component(name) else {
                c.state.pop(); throw c.argError(3, "option 'sets': component names as keys expected")
            }
            guard let bb = c.state.object(at: -1, GCTypes.batch)?.value else {
                c.state.pop(); throw c.argError(3, "option 'sets': a batch expected for \(name)")
            }
            guard sets[comp] == nil else { c.state.pop(); throw c.argError(3, "option 'sets': \(comp) is named twice") }
            do { try c.arg(3, option: "sets") { try m.checkComponent(comp); try m.checkTokens(bb) } } catch { c.state.pop(); throw error }
            sets[comp] = bb
        }
        return sets
    }

    static func causal(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let request = try InterventionOptions.request(c, o, 3, model: nil, defect: true)
        let metric = try MetricOption.read(c, o, 3)
        let plainSets = try causalSets(c, o, model: m)
        if !plainSets.isEmpty, let contrast = metric.contrast, !contrast.isUniform {
            throw c.argError(3, "option 'sets': tokens or positions per sample belong to one set's rows; with 'sets', give one token and one position for all")
        }
        let sets = try plainSets.mapValues { try metric.on(c, 3, $0, model: m) }
        let samples = try o.boolean("samples") ?? false
        try o.finish()
        let comps = m.config.components
        let r = try InterventionOptions.resolve(c, 3, request, model: m, batch: b, components: comps)
        let mb = try metric.on(c, 3, b, model: m)
        let scores = try c.arg(3) {
            try m.causalScores(mb, ablation: r.ablation, components: comps, metric: metric.metric, sets: sets, hookFor: r.hookFor, shouldStop: progress.stop)
        }
        c.state.pushComponentTable(scores.scores)
        c.state.push(scores.base)
        c.state.pushComponentTable(scores.ablated)
        guard samples else { return 3 }
        pushSamples(c.state, scores)
        return 4
    }

    /// Per sample, exact match: {base = {...}, ["L0.H0"] = {...}, ...}.
    static func pushSamples(_ s: LuaState, _ r: Transformer.CausalScores) {
        func pushBools(_ v: [Bool]) {
            s.newTable(array: v.count)
            for (i, x) in v.enumerated() { s.push(x); s.setIndex(-2, i + 1) }
        }
        s.newTable(hash: r.correct.count + 1)
        pushBools(r.baseCorrect); s.setField(-2, "base")
        for (comp, v) in r.correct.sorted(by: { $0.key < $1.key }) { pushBools(v); s.setField(-2, comp.description) }
    }

    // MARK: Joint ablations

    static func joint(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let comps = try c.components(at: 3, .init(index: 3), model: m, nonEmpty: true)
        let o = try c.options(4)
        let leaveOneOut = try o.boolean("leave_one_out") ?? true
        let (ablation, metric, mb) = try InterventionOptions.ablationAndMetric(c, o, 4, model: m, batch: b, components: comps)
        let r = try c.arg(3) {
            try m.jointAblation(mb, ablation: ablation, components: comps, metric: metric, leaveOneOut: leaveOneOut, shouldStop: progress.stop)
        }
        let s = c.state
        s.newTable(hash: 8)
        s.push(r.metric.rawValue); s.setField(-2, "metric")
        s.push(r.base); s.setField(-2, "base")
        s.push(r.joint); s.setField(-2, "joint")
        s.push(r.sumOfSingles); s.setField(-2, "sum")
        if let ratio = r.ratio { s.push(ratio); s.setField(-2, "ratio") }
        s.pushComponentTable(r.singles); s.setField(-2, "singles")
        s.pushComponentTable(r.leaveOneOut); s.setField(-2, "leave_one_out")
        s.pushStringList(comps.map(\.description)); s.setField(-2, "components")
        return 1
    }

    /// The lists of score.ablations: each entry a component name or a list of names.
    static func ablationLists(_ c: LuaCall, model m: Transformer) throws -> [[Component]] {
        guard lua_type(c.L, 3) == LUA_TTABLE else { throw c.argError(3, "list of component lists expected, got \(c.state.typeName(at: 3))") }
        let n = c.rawLength(3)
        guard n <= LuaCall.maxNames else { throw c.argError(3, "at most \(LuaCall.maxNames) lists") }
        var lists: [[Component]] = [], total = 0
        for k in 1...max(n, 1) where k <= n {
            lua_rawgeti(c.L, 3, lua_Integer(k))
            defer { c.state.pop() }
            guard [LUA_TSTRING, LUA_TTABLE].contains(lua_type(c.L, -1)) else {
                throw c.argError(3, "entry \(k): component name or list of names expected")
            }
            total += lua_type(c.L, -1) == LUA_TTABLE ? c.rawLength(-1) : 1
            guard total <= 10 * LuaCall.maxNames else { throw c.argError(3, "at most \(10 * LuaCall.maxNames) names in all") }
            let list = try c.components(at: -1, .init(index: 3, option: nil, entry: k), model: m, single: true)
            guard !list.isEmpty else { throw c.argError(3, "entry \(k): an empty list") }
            lists.append(list)
        }
        return lists
    }

    static func ablations(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), plain = try c.batch(2, for: m)
        let lists = try ablationLists(c, model: m)
        let o = try c.options(4)
        let b = try MetricOption.contrastOnly(c, o, 4).on(c, 4, plain, model: m)
        let request = try InterventionOptions.request(c, o, 4, model: m)
        try o.finish()
        if request.kind == .resample { throw c.argError(4, "option 'ablation': \"mean\" or \"zero\" (resample: see m:evaluate)") }
        let comps = Array(Set(lists.flatMap { $0 })).sorted()
        let ablation = try InterventionOptions.resolve(c, 4, request, model: m, batch: b, components: comps).ablation
        let r = try c.arg(3) { try m.evaluateAblations(b, lists: lists, ablation: ablation, shouldStop: progress.stop) }
        c.state.newTable(array: r.each.count)
        for (k, e) in r.each.enumerated() { ModelBinding.pushEvaluation(c.state, e); c.state.setIndex(-2, k + 1) }
        ModelBinding.pushEvaluation(c.state, r.base)
        return 2
    }

    static func interactions(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try c.components(o, "components", model: m, nonEmpty: true) ?? m.config.components
        let (ablation, metric, mb) = try InterventionOptions.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
        let r = try c.arg(3) { try m.pairwiseInteractions(mb, ablation: ablation, components: comps, metric: metric, shouldStop: progress.stop) }
        let s = c.state
        s.newTable(hash: 3)
        s.pushStringList(comps.map(\.description)); s.setField(-2, "components")
        s.newTable(hash: comps.count)
        for (i, comp) in comps.enumerated() { s.push(r.singles[i]); s.setField(-2, comp.description) }
        s.setField(-2, "singles")
        s.newTable(hash: comps.count)
        for (i, a) in comps.enumerated() {
            s.newTable(hash: comps.count)
            for (j, bb) in comps.enumerated() { s.push(r.matrix[i][j]); s.setField(-2, bb.description) }
            s.setField(-2, a.description)
        }
        s.setField(-2, "matrix")
        return 1
    }

    static func patching(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), clean = try c.batch(2, for: m), corrupted = try c.batch(3, for: m)
        let o = try c.options(4)
        let metric = try MetricOption.read(c, o, 4)
        try o.finish()
        let mclean = try metric.on(c, 4, clean, model: m)
        let r = try c.arg(3) { try m.patchingScores(clean: mclean, corrupted: corrupted, metric: metric.metric, shouldStop: progress.stop) }
        c.state.pushComponentTable(r.scores)
        c.state.push(r.clean)
        c.state.push(r.corrupted)
        return 3
    }

    static let scoreFunctions: [(String, LuaFunction)] = [
        ("gradient", gradient), ("taylor", taylor), ("causal", causal), ("joint", joint), ("ablations", ablations),
        ("interactions", interactions), ("patching", patching),
    ]
}
