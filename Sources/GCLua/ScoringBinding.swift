import CLua
import CLuaShim
import GCCore

/// `gcgap.score`, `gcgap.ood`, `gcgap.stats`, `gcgap.gap`, `gcgap.classify`.
enum ScoringBinding {
    static let stop: () -> Bool = {
        if gcshim_interrupt_pending() != 0 { gcshim_interrupt_clear(); return true }
        return false
    }

    /// A table {name = number} -> (names in component order, values).
    static func scoreTable(_ c: LuaCall, _ i: Int32) throws -> (names: [String], values: [Double]) {
        try c.table(i)
        let idx = lua_absindex(c.L, i)
        var pairs: [(String, Double)] = []
        lua_pushnil(c.L)
        while lua_next(c.L, idx) != 0 {
            defer { c.state.pop() }
            guard let k = c.state.string(at: -2) else { c.state.pop(); throw c.argError(i, "component names (string keys) expected") }
            guard lua_type(c.L, -1) == LUA_TNUMBER else { c.state.pop(); throw c.argError(i, "'\(k)': number expected") }
            let v = lua_tonumberx(c.L, -1, nil)
            guard v.isFinite else { c.state.pop(); throw c.argError(i, "'\(k)' is \(v) (NaN or infinite)") }
            pairs.append((k, v))
        }
        // each name parsed once (not once per comparison)
        let keyed = pairs.map { (Component($0.0), $0) }.sorted { a, b in
            switch (a.0, b.0) {
            case let (x?, y?): return x < y
            default: return a.1.0 < b.1.0
            }
        }
        return (keyed.map(\.1.0), keyed.map(\.1.1))
    }

    /// Two score tables over the same names.
    static func pairedScores(_ c: LuaCall, _ i: Int32, _ j: Int32) throws -> (names: [String], x: [Double], y: [Double]) {
        let a = try scoreTable(c, i), b = try scoreTable(c, j)
        guard a.names == b.names else {
            let missing = Set(a.names).symmetricDifference(b.names).sorted().prefix(5)
            throw c.argError(2, "the two tables must have the same keys; differing: \(missing.joined(separator: ", "))")
        }
        return (a.names, a.values, b.values)
    }

    /// Two numeric sequences (arrays) or two score tables.
    static func sequences(_ c: LuaCall) throws -> ([Double], [Double]) {
        try c.table(1); try c.table(2)
        if c.rawLength(1) > 0 || c.rawLength(2) > 0 {
            func list(_ i: Int32) throws -> [Double] {
                (1...max(1, c.rawLength(i))).compactMap { k -> Double? in
                    guard k <= c.rawLength(i) else { return nil }
                    lua_rawgeti(c.L, i, lua_Integer(k)); defer { c.state.pop() }
                    return lua_type(c.L, -1) == LUA_TNUMBER ? lua_tonumberx(c.L, -1, nil) : .nan
                }
            }
            let x = try list(1), y = try list(2)
            guard x.count == y.count else { throw c.argError(2, "sequences of \(x.count) and \(y.count) numbers") }
            guard !(x + y).contains(where: { !$0.isFinite }) else { throw c.argError(x.contains(where: { !$0.isFinite }) ? 1 : 2, "finite numbers expected, NaN or inf found") }
            return (x, y)
        }
        let p = try pairedScores(c, 1, 2)
        return (p.x, p.y)
    }

    static func pushOptional(_ s: LuaState, _ v: Double?) { if let v = v { s.push(v) } else { s.pushNil() } }

    static func statsFunctions() -> [(String, LuaFunction)] {
        [
            ("spearman", { c in let (x, y) = try sequences(c); pushOptional(c.state, Stats.spearman(x, y)); return 1 }),
            ("kendall", { c in let (x, y) = try sequences(c); pushOptional(c.state, Stats.kendall(x, y)); return 1 }),
            ("pearson", { c in let (x, y) = try sequences(c); pushOptional(c.state, Stats.pearson(x, y)); return 1 }),
            ("ranks", { c in
                let method = try c.choice(2, Stats.RankMethod.allCases.map(\.rawValue), default: "average")
                if c.type(1) == LUA_TTABLE && c.rawLength(1) == 0 {
                    let t = try scoreTable(c, 1)
                    let r = Stats.ranks(t.values, method: .init(rawValue: method)!)
                    c.state.newTable(hash: r.count)
                    for (n, v) in zip(t.names, r) { c.state.push(v); c.state.setField(-2, n) }
                    return 1
                }
                try c.table(1)
                var x: [Double] = []
                for k in 0..<c.rawLength(1) {
                    lua_rawgeti(c.L, 1, lua_Integer(k + 1)); defer { c.state.pop() }
                    guard lua_type(c.L, -1) == LUA_TNUMBER else { throw c.argError(1, "number expected at index \(k + 1)") }
                    x.append(lua_tonumberx(c.L, -1, nil))
                }
                c.state.pushNumberList(Stats.ranks(x, method: .init(rawValue: method)!)); return 1 }),
            ("permutation", { c in
                let (x, y) = try sequences(c)
                let o = try c.options(3)
                let n = try o.integer("permutations", in: 1...10_000_000) ?? 10_000
                let seed = try o.integer("seed") ?? 0
                try o.finish()
                pushOptional(c.state, Stats.permutationPValue(x, y, permutations: n, seed: UInt64(bitPattern: Int64(seed)))); return 1 }),
            ("bootstrap", { c in
                let (x, y) = try sequences(c)
                let o = try c.options(3)
                let n = try o.integer("resamples", in: 1...10_000_000) ?? 2000
                let level = try o.number("level") ?? 0.95
                let seed = try o.integer("seed") ?? 0
                try o.finish()
                guard level > 0 && level < 1 else { throw c.argError(3, "option 'level': must be in (0, 1)") }
                guard let ci = Stats.bootstrapSpearman(x, y, resamples: n, level: level, seed: UInt64(bitPattern: Int64(seed))) else {
                    c.state.pushNil(); return 1
                }
                c.state.push(ci.low); c.state.push(ci.high); return 2 }),
        ]
    }

    static func functions() -> [(String, LuaFunction)] {
        [
            ("gap", { c in
                let p = try pairedScores(c, 1, 2)
                let o = try c.options(3)
                let method = try o.choice("ranks", Stats.RankMethod.allCases.map(\.rawValue)) ?? "average"
                try o.finish()
                let d = Stats.gap(p.x, p.y, method: .init(rawValue: method)!)
                c.state.newTable(hash: d.count)
                for (n, v) in zip(p.names, d) { c.state.push(v); c.state.setField(-2, n) }
                return 1 }),
            ("classify", { c in
                let d = try scoreTable(c, 1)
                let o = try c.options(2)
                let t = try o.number("threshold") ?? 6
                guard t >= 0 else { throw c.argError(2, "option 'threshold': non-negative number expected, got \(t)") }
                let strict = try o.boolean("strict") ?? false
                try o.finish()
                var heroes: [(String, Double)] = [], bloats: [(String, Double)] = [], aligned: [String] = []
                for (n, v) in zip(d.names, d.values) {
                    if strict ? v < -t : v <= -t { heroes.append((n, v)) }
                    else if strict ? v > t : v >= t { bloats.append((n, v)) }
                    else { aligned.append(n) }
                }
                // heroes by most negative Δ, bloats by largest Δ; ties in component order
                heroes = heroes.enumerated().sorted { $0.element.1 < $1.element.1 || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }.map(\.element)
                bloats = bloats.enumerated().sorted { $0.element.1 > $1.element.1 || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }.map(\.element)
                c.state.newTable(hash: 3)
                c.state.pushStringList(heroes.map(\.0)); c.state.setField(-2, "heroes")
                c.state.pushStringList(bloats.map(\.0)); c.state.setField(-2, "bloats")
                c.state.pushStringList(aligned); c.state.setField(-2, "aligned")
                return 1 }),
            ("ood", { c in
                let m = try c.object(1, GCTypes.model), task = try c.object(2, GCTypes.task).value
                let o = try c.options(3)
                var lengths = [8, 9, 10, 11]
                let lt = o.push("lengths")
                if lt != LUA_TNIL && lt != LUA_TTABLE { c.state.pop(); throw c.argError(3, "option 'lengths': list of lengths expected") }
                if lt == LUA_TTABLE {
                    lengths = []
                    for k in 1...max(1, Int(lua_rawlen(c.L, -1))) where k <= Int(lua_rawlen(c.L, -1)) {
                        lua_rawgeti(c.L, -1, lua_Integer(k)); var ok: Int32 = 0
                        let v = lua_tointegerx(c.L, -1, &ok); c.state.pop()
                        guard ok != 0, v >= 1, v <= Limits.maxLength else {
                            c.state.pop(); throw c.argError(3, "option 'lengths': integers in 1..\(Limits.maxLength) expected")
                        }
                        lengths.append(Int(v))
                    }
                }
                c.state.pop()
                var range = 0.20...0.75
                let rt = o.push("range")
                if rt != LUA_TNIL && rt != LUA_TTABLE { c.state.pop(); throw c.argError(3, "option 'range': {lo, hi} expected") }
                if rt == LUA_TTABLE {
                    lua_rawgeti(c.L, -1, 1); lua_rawgeti(c.L, -2, 2)
                    let numbers = lua_type(c.L, -2) == LUA_TNUMBER && lua_type(c.L, -1) == LUA_TNUMBER
                    let lo = lua_tonumberx(c.L, -2, nil), hi = lua_tonumberx(c.L, -1, nil)
                    c.state.pop(2)
                    guard numbers, lo <= hi else { c.state.pop(); throw c.argError(3, "option 'range': {lo, hi} with lo <= hi expected") }
                    range = lo...hi
                }
                c.state.pop()
                let size = try o.integer("size", in: 1...1_000_000) ?? 200
                let seed = UInt64(bitPattern: Int64(try o.integer("seed") ?? Int(Int64(bitPattern: m.seed ?? 0))))
                try o.finish()
                try o.checkSamples(size, length: lengths.max() ?? 1, "size")
                let sel = try selectOODLength(m, task: task, lengths: lengths, range: range, size: size, seed: seed)
                let s = c.state
                s.newTable(hash: 3)
                if let n = sel.length { s.push(n); s.setField(-2, "length") }
                s.newTable(array: sel.accuracies.count)
                for (k, a) in sel.accuracies.enumerated() {
                    s.newTable(hash: 2); s.push(a.length); s.setField(-2, "length"); s.push(a.accuracy); s.setField(-2, "accuracy")
                    s.setIndex(-2, k + 1)
                }
                s.setField(-2, "accuracies")
                if let set = sel.set { s.pushObject(BatchBox(set), GCTypes.batch); s.setField(-2, "set") }
                return 1 }),
        ]
    }

    /// Batches for G: `batches` of `batch` samples at `length`, from stream "grad-N" of seed.
    static func gradientBatches(_ c: LuaCall, _ o: LuaOptions, model m: Transformer, task: AlgorithmicTask) throws -> [TokenBatch] {
        guard let length = try o.lengths("length") else { throw c.argError(3, "option 'length' is required (the OOD length)") }
        let n = try o.integer("batches", in: 1...100_000) ?? 50
        let size = try o.integer("batch", in: 1...100_000) ?? 64
        try o.checkSamples(n * size, length: length.upperBound, "batches")
        let seed = UInt64(bitPattern: Int64(try o.integer("seed") ?? Int(Int64(bitPattern: m.seed ?? 0))))
        let stream = try o.string("stream") ?? "grad-\(length.lowerBound)"
        var rng = Rng(seed: seed, stream: stream)
        return try (0..<n).map { _ in try task.batch(size: size, lengths: length, rng: &rng) }
    }

    /// The `means` option: means from gcgap.means, or nil.
    static func meansOption(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> ComponentMeans? {
        defer { c.state.pop() }
        guard o.push("means") != LUA_TNIL else { return nil }
        guard let mb = c.state.object(at: -1, MeansBinding.type) else {
            throw c.argError(i, "option 'means': means expected (from gcgap.means), got \(c.state.typeName(at: -1))")
        }
        return mb.value
    }

    /// The `source` option (a batch for resample ablation, checked against `model` when
    /// given), or nil. Errors blame the options table, argument `i`.
    static func sourceOption(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer?) throws -> TokenBatch? {
        defer { c.state.pop() }
        guard o.push("source") != LUA_TNIL else { return nil }
        do {
            return try m.map { try c.batch(lua_gettop(c.L), for: $0) } ?? c.batch(lua_gettop(c.L))
        } catch let e as LuaError {
            // c.batch blames the value's stack slot; say which option it was instead
            let m = e.message
            let detail = m.firstIndex(of: "(").map { String(m[m.index(after: $0)..<(m.hasSuffix(")") ? m.index(before: m.endIndex) : m.endIndex)]) } ?? m
            throw c.argError(i, "option 'source': \(detail)")
        }
    }

    /// The `metric` option (exact match by default).
    static func metricOption(_ o: LuaOptions) throws -> Transformer.Metric {
        guard let name = try o.choice("metric", Transformer.Metric.allCases.map(\.rawValue)) else { return .accuracy }
        return Transformer.Metric(rawValue: name) ?? .accuracy
    }

    /// The ablation options shared by joint and interactions: {ablation=, means=,
    /// per_position=, source=, metric=}; finishes the options table.
    static func ablationAndMetric(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer, batch b: TokenBatch,
                                  components comps: [Component]) throws -> (GCCore.Ablation, Transformer.Metric) {
        let kind = try o.choice("ablation", ["mean", "zero", "resample"]) ?? "mean"
        let perPosition = try o.boolean("per_position") ?? false
        let metric = try metricOption(o)
        let means = try meansOption(c, o, i)
        let source = try sourceOption(c, o, i, model: m)
        try o.finish()
        switch kind {
        case "zero": return (.zero, metric)
        case "resample":
            guard let src = source, src.rows.map(\.count) == b.rows.map(\.count) else {
                throw c.argError(i, "option 'source': a batch of the same row lengths is needed for resample ablation")
            }
            return (.resample(try c.arg(i) { try m.componentOutputs(src, components: comps) }), metric)
        default:
            return (.mean(try c.arg(i) { try means ?? m.componentMeans(b, perPosition: perPosition, components: comps) }), metric)
        }
    }

    static func scoreFunctions() -> [(String, LuaFunction)] {
        [
            ("gradient", { c in
                let m = try c.object(1, GCTypes.model), task = try c.object(2, GCTypes.task).value
                let o = try c.options(3)
                let norm = try o.choice("norm", Transformer.GradientNorm.allCases.map(\.rawValue)) ?? "raw"
                let whole = try o.boolean("whole_wv") ?? false
                let batches = try gradientBatches(c, o, model: m, task: task)
                try o.finish()
                // one pass gives both: per-param = raw / sqrt(entries), batch by batch
                let (raw, taylor) = try m.gradientAndTaylorScores(batches, norm: .raw, wholeWV: whole, shouldStop: stop)
                let cfg = m.config
                let perParam = Dictionary(uniqueKeysWithValues: raw.map { comp, v -> (Component, Double) in
                    let entries: Int
                    if case .mlp = comp { entries = cfg.dMLP * cfg.dModel } else { entries = cfg.dModel * cfg.dHead * (whole ? cfg.nHeads : 1) }
                    return (comp, v / Double(entries).squareRoot())
                })
                c.state.pushComponentTable(norm == "raw" ? raw : perParam)
                c.state.pushComponentTable(norm == "raw" ? perParam : raw)
                c.state.pushComponentTable(taylor)
                return 3 }),
            ("taylor", { c in
                let m = try c.object(1, GCTypes.model), task = try c.object(2, GCTypes.task).value
                let o = try c.options(3)
                let batches = try gradientBatches(c, o, model: m, task: task)
                try o.finish()
                c.state.pushComponentTable(try m.taylorScores(batches, shouldStop: stop))
                return 1 }),
            ("causal", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                let kind = try o.choice("ablation", ["mean", "zero", "resample"]) ?? "mean"
                let perPosition = try o.boolean("per_position") ?? false
                let defect = try o.boolean("zslice_defect") ?? false
                let metric = try metricOption(o)
                let means = try meansOption(c, o, 3)
                let source = try sourceOption(c, o, 3, model: nil)
                // a set per component: {["L0.H0"] = batch, ...}
                var sets: [Component: TokenBatch] = [:]
                let st = o.push("sets")
                if st == LUA_TTABLE {
                    let t = lua_gettop(c.L)
                    lua_pushnil(c.L)
                    while lua_next(c.L, t) != 0 {
                        defer { c.state.pop() }
                        guard let name = c.state.string(at: -2), let comp = Component(name) else {
                            c.state.pop(2); throw c.argError(3, "option 'sets': component names as keys expected")
                        }
                        guard let bb = c.state.object(at: -1, GCTypes.batch)?.value else {
                            c.state.pop(2); throw c.argError(3, "option 'sets': a batch expected for \(name)")
                        }
                        do { try m.checkTokens(bb) } catch let e as GCError { c.state.pop(2); throw c.argError(3, "option 'sets': \(name): \(e.message)") }
                        sets[comp] = bb
                    }
                } else if st != LUA_TNIL { c.state.pop(); throw c.argError(3, "option 'sets': table expected") }
                c.state.pop()
                let samples = try o.boolean("samples") ?? false
                try o.finish()
                if defect && kind != "mean" { throw c.argError(3, "option 'zslice_defect': applies to mean ablation only") }
                let comps = m.config.components
                let ablation: GCCore.Ablation
                var hookFor: ((Component) throws -> (Component, ComponentHook))? = nil
                switch kind {
                case "zero": ablation = .zero
                case "resample":
                    guard let src = source else { throw c.argError(3, "option 'source': a batch of the same row lengths is needed for resample ablation") }
                    guard src.rows.map(\.count) == b.rows.map(\.count) else {
                        throw c.argError(3, "option 'source': resample ablation needs rows of the same lengths as the set")
                    }
                    ablation = .resample(try m.componentOutputs(src, components: comps))
                default:
                    let zs = (0..<m.config.nLayers).flatMap { l in (0..<m.config.nHeads).map { Component.headZ(layer: l, head: $0) } }
                    // the means come from one place: the `means` given (which must then hold the
                    // z means the defect writes), or else all of them from `set`
                    var mu = try means ?? m.componentMeans(b, perPosition: perPosition, components: comps + (defect ? zs : []))
                    if defect {
                        if let missing = zs.first(where: { mu.values[$0] == nil }) {
                            throw c.argError(3, "option 'means': no mean for \(missing); the z-slice defect needs gcgap.means(m, set, {z = true})")
                        }
                        let captured = mu
                        hookFor = { comp in
                            if case .head = comp { return try m.zSliceDefectHook(comp, means: captured) }
                            return (comp, try m.ablationHook(comp, .mean(captured)))
                        }
                    }
                    ablation = .mean(mu)
                }
                let r = try c.arg(3) {
                    try m.causalScores(b, ablation: ablation, components: comps, metric: metric, sets: sets, hookFor: hookFor, shouldStop: stop)
                }
                c.state.pushComponentTable(r.scores)
                c.state.push(r.base)
                c.state.pushComponentTable(r.ablated)
                guard samples else { return 3 }
                // per sample, exact match: {base = {...}, ["L0.H0"] = {...}, ...}
                func pushBools(_ v: [Bool]) {
                    c.state.newTable(array: v.count)
                    for (i, x) in v.enumerated() { c.state.push(x); c.state.setIndex(-2, i + 1) }
                }
                c.state.newTable(hash: r.correct.count + 1)
                pushBools(r.baseCorrect); c.state.setField(-2, "base")
                for (comp, v) in r.correct.sorted(by: { $0.key < $1.key }) { pushBools(v); c.state.setField(-2, comp.description) }
                return 4 }),
            ("joint", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let names = try c.stringList(3)
                let comps = try names.enumerated().map { k, name -> Component in
                    guard let comp = Component(name) else { throw c.argError(3, "unknown component '\(name)' at index \(k + 1)") }
                    try c.arg(3) { try m.checkComponent(comp) }
                    return comp
                }
                let o = try c.options(4)
                let leaveOneOut = try o.boolean("leave_one_out") ?? true
                let (ablation, metric) = try ablationAndMetric(c, o, 4, model: m, batch: b, components: comps)
                let r = try c.arg(3) {
                    try m.jointAblation(b, ablation: ablation, components: comps, metric: metric, leaveOneOut: leaveOneOut, shouldStop: stop)
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
                return 1 }),
            ("ablations", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                // a list whose entries are a component name or a list of names
                guard lua_type(c.L, 3) == LUA_TTABLE else { throw c.argError(3, "list of component lists expected, got \(c.state.typeName(at: 3))") }
                var lists: [[Component]] = []
                var total = 0
                let n = Int(lua_rawlen(c.L, 3))
                guard n <= 10_000 else { throw c.argError(3, "at most 10000 lists") }
                for k in 1...max(n, 1) where k <= n {
                    lua_rawgeti(c.L, 3, lua_Integer(k))
                    defer { c.state.pop() }
                    let names: [String]
                    if lua_type(c.L, -1) == LUA_TSTRING {
                        names = [c.state.string(at: -1)!]
                    } else if lua_type(c.L, -1) == LUA_TTABLE {
                        var list: [String] = []
                        let len = Int(lua_rawlen(c.L, -1))
                        guard len <= 10_000, total + len <= 100_000 else {
                            throw c.argError(3, "entry \(k): at most 10000 names in a list and 100000 in all")
                        }
                        total += len
                        for j in 1...max(len, 1) where j <= len {
                            lua_rawgeti(c.L, -1, lua_Integer(j))
                            defer { c.state.pop() }
                            guard lua_type(c.L, -1) == LUA_TSTRING, let name = c.state.string(at: -1) else {
                                throw c.argError(3, "entry \(k): component name expected at index \(j), got \(c.state.typeName(at: -1))")
                            }
                            list.append(name)
                        }
                        names = list
                    } else {
                        throw c.argError(3, "entry \(k): component name or list of names expected")
                    }
                    guard !names.isEmpty else { throw c.argError(3, "entry \(k): an empty list") }
                    lists.append(try names.map { name in
                        guard let comp = Component(name) else { throw c.argError(3, "entry \(k): unknown component '\(name)'") }
                        try c.arg(3) { try m.checkComponent(comp) }
                        return comp
                    })
                }
                let o = try c.options(4)
                let (ablation, metric) = try ablationAndMetric(c, o, 4, model: m, batch: b, components: Array(Set(lists.flatMap { $0 })).sorted())
                guard metric == .accuracy else { throw c.argError(4, "option 'metric': each result has every metric; leave it out") }
                if case .resample = ablation { throw c.argError(4, "option 'ablation': \"mean\" or \"zero\" (resample: see m:evaluate)") }
                let r = try c.arg(3) { try m.evaluateAblations(b, lists: lists, ablation: ablation, shouldStop: stop) }
                c.state.newTable(array: r.each.count)
                for (k, e) in r.each.enumerated() { ModelBinding.pushEvaluation(c.state, e); c.state.setIndex(-2, k + 1) }
                ModelBinding.pushEvaluation(c.state, r.base)
                return 2 }),
            ("interactions", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                var comps = m.config.components
                if o.push("components") != LUA_TNIL {
                    let names = try c.stringList(lua_gettop(c.L))
                    comps = try names.map { name in
                        guard let comp = Component(name) else { c.state.pop(); throw c.argError(3, "option 'components': unknown component '\(name)'") }
                        return comp
                    }
                }
                c.state.pop()
                let (ablation, metric) = try ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
                let r = try c.arg(3) { try m.pairwiseInteractions(b, ablation: ablation, components: comps, metric: metric, shouldStop: stop) }
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
                return 1 }),
            ("patching", { c in
                let m = try c.object(1, GCTypes.model), clean = try c.batch(2, for: m), corrupted = try c.batch(3, for: m)
                let o = try c.options(4)
                let metric = try metricOption(o)
                try o.finish()
                let r = try c.arg(3) { try m.patchingScores(clean: clean, corrupted: corrupted, metric: metric, shouldStop: stop) }
                c.state.pushComponentTable(r.scores)
                c.state.push(r.clean)
                c.state.push(r.corrupted)
                return 3 }),
        ]
    }
}
