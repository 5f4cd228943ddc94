import CLua
import CLuaShim
import Foundation
import GCCore

/// The estimator ladder's Lua face: `gcgap.score.gate`, `.attribution`, `.integrated`,
/// `.shapley`, and `.ladder` (all of them, every metric, the exact ablation variants).
enum EstimatorBinding {
    static let allMetrics: [Transformer.Metric] = [.accuracy, .loss, .logitDiff, .kl]

    /// The `components` option: a list of head and MLP names (all 20 by default).
    static func componentsOption(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer) throws -> [Component] {
        guard o.push("components") != LUA_TNIL else { c.state.pop(); return m.config.components }
        defer { c.state.pop() }
        guard lua_type(c.L, -1) == LUA_TTABLE else { throw c.argError(i, "option 'components': list of component names expected") }
        var out: [Component] = []
        let t = lua_gettop(c.L)
        for k in 0..<c.rawLength(t) {
            lua_rawgeti(c.L, t, lua_Integer(k + 1))
            let name = c.state.string(at: -1)
            c.state.pop()
            guard let name = name, let comp = Component(name), comp.isScoredComponent else {
                throw c.argError(i, "option 'components': a head or MLP name expected at index \(k + 1)")
            }
            do { try m.checkComponent(comp) } catch let e as GCError { throw c.argError(i, "option 'components': \(e.message)") }
            guard !out.contains(comp) else { throw c.argError(i, "option 'components': \(name) is named twice") }
            out.append(comp)
        }
        guard !out.isEmpty else { throw c.argError(i, "option 'components': at least one component expected") }
        return out
    }

    /// The `metrics` option of the ladder: a list of metric names (all four by default).
    static func metricsOption(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> [Transformer.Metric] {
        guard o.push("metrics") != LUA_TNIL else { c.state.pop(); return allMetrics }
        defer { c.state.pop() }
        guard lua_type(c.L, -1) == LUA_TTABLE else { throw c.argError(i, "option 'metrics': list of metric names expected") }
        var out: [Transformer.Metric] = []
        let t = lua_gettop(c.L)
        for k in 0..<c.rawLength(t) {
            lua_rawgeti(c.L, t, lua_Integer(k + 1))
            let name = c.state.string(at: -1)
            c.state.pop()
            guard let name = name, let metric = Transformer.Metric(rawValue: name) else {
                let names = Transformer.Metric.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                throw c.argError(i, "option 'metrics': a metric name expected at index \(k + 1) (\(names))")
            }
            if !out.contains(metric) { out.append(metric) }
        }
        guard !out.isEmpty else { throw c.argError(i, "option 'metrics': at least one metric expected") }
        return out
    }

    static func seedOption(_ o: LuaOptions, model m: Transformer) throws -> UInt64 {
        UInt64(bitPattern: Int64(try o.integer("seed") ?? Int(Int64(bitPattern: m.seed ?? 0))))
    }

    static func functions() -> [(String, LuaFunction)] {
        [
            ("gate", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                let comps = try componentsOption(c, o, 3, model: m)
                let metric = try ScoringBinding.metricOption(o)
                try o.finish()
                let e = try c.arg(2) { try m.firstOrderEstimates(b, baseline: .zero, metrics: [metric], components: comps)[0] }
                c.state.pushComponentTable(e.gate)
                c.state.push(e.value)
                c.state.push(e.differentiated.rawValue)
                return 3 }),
            ("attribution", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                let comps = try componentsOption(c, o, 3, model: m)
                let (baseline, metric) = try ScoringBinding.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
                let e = try c.arg(2) { try m.firstOrderEstimates(b, baseline: baseline, metrics: [metric], components: comps)[0] }
                c.state.pushComponentTable(e.attribution)
                c.state.push(e.value)
                c.state.push(e.differentiated.rawValue)
                return 3 }),
            ("integrated", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                let comps = try componentsOption(c, o, 3, model: m)
                let steps = try o.integer("steps", in: 1...10_000) ?? 16
                let (baseline, metric) = try ScoringBinding.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
                let ig = try c.arg(2) {
                    try m.integratedGradients(b, baseline: baseline, steps: steps, metrics: [metric], components: comps,
                                              shouldStop: ScoringBinding.stop)[0]
                }
                c.state.pushComponentTable(ig.scores)
                pushCompleteness(c.state, ig)
                return 2 }),
            ("shapley", { c in
                let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
                let o = try c.options(3)
                let comps = try componentsOption(c, o, 3, model: m)
                let n = try o.integer("permutations", in: 1...1_000_000) ?? 10
                let seed = try seedOption(o, model: m)
                let (ablation, metric) = try ScoringBinding.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
                let s = try c.arg(2) {
                    try m.shapleyValues(b, ablation: ablation, permutations: n, seed: seed, metrics: [metric], components: comps,
                                        shouldStop: ScoringBinding.stop)[0]
                }
                c.state.pushComponentTable(s.scores)
                c.state.newTable(hash: 3)
                c.state.pushComponentTable(s.standardErrors); c.state.setField(-2, "se")
                c.state.push(s.total); c.state.setField(-2, "total")
                c.state.push(s.permutations); c.state.setField(-2, "permutations")
                return 2 }),
            ("ladder", ladder),
        ]
    }

    static func pushCompleteness(_ s: LuaState, _ ig: Transformer.IntegratedGradients) {
        s.newTable(hash: 5)
        s.push(ig.sum); s.setField(-2, "sum")
        s.push(ig.total); s.setField(-2, "total")
        s.push(ig.completenessError); s.setField(-2, "error")
        s.push(ig.steps); s.setField(-2, "steps")
        s.push(ig.differentiated.rawValue); s.setField(-2, "differentiated")
    }

    /// `gcgap.score.ladder(m, set, {metrics=, steps=, shapley=, seed=, means=, per_position=, source=})`
    static func ladder(_ c: LuaCall) throws -> Int32 {
        let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try componentsOption(c, o, 3, model: m)
        let metrics = try metricsOption(c, o, 3)
        let steps = try o.integer("steps", in: 1...10_000) ?? 16
        let permutations = try o.integer("shapley", in: 0...1_000_000) ?? 0
        let seed = try seedOption(o, model: m)
        let perPosition = try o.boolean("per_position") ?? false
        let means = try ScoringBinding.meansOption(c, o, 3)
        let source = try ScoringBinding.sourceOption(c, o, 3, model: m)
        try o.finish()
        if let src = source, src.rows.map(\.count) != b.rows.map(\.count) {
            throw c.argError(3, "option 'source': resample ablation needs rows of the same lengths as the set")
        }
        let clock = { Date().timeIntervalSince1970 }
        var seconds: [(String, Double)] = []
        func timed<T>(_ name: String, _ f: () throws -> T) throws -> T {
            let t0 = clock()
            let r = try f()
            seconds.append((name, clock() - t0))
            return r
        }
        return try c.arg(2) {
            let mu = try timed("means") { try means ?? m.componentMeans(b, perPosition: perPosition, components: comps) }
            let first = try timed("first_order") { try m.firstOrderEstimates(b, baseline: .mean(mu), metrics: metrics, components: comps) }
            let ig = try timed("integrated") {
                try m.integratedGradients(b, baseline: .mean(mu), steps: steps, metrics: metrics, components: comps,
                                          shouldStop: ScoringBinding.stop)
            }
            var variants: [(String, GCCore.Ablation)] = [("mean", .mean(mu)), ("zero", .zero)]
            if let src = source { variants.append(("resample", .resample(try m.componentOutputs(src, components: comps)))) }
            let exact = try timed("exact") {
                try variants.map { name, ablation in
                    (name, try m.causalScores(b, ablation: ablation, components: comps, metrics: metrics, shouldStop: ScoringBinding.stop))
                }
            }
            let shapley = permutations > 0 ? try timed("shapley") {
                try m.shapleyValues(b, ablation: .mean(mu), permutations: permutations, seed: seed, metrics: metrics,
                                    components: comps, shouldStop: ScoringBinding.stop)
            } : nil
            let s = c.state
            s.newTable(hash: 12)
            s.pushStringList(metrics.map(\.rawValue)); s.setField(-2, "metrics")
            s.pushStringList(comps.map(\.description)); s.setField(-2, "components")
            s.push(steps); s.setField(-2, "steps")
            func perMetric(_ name: String, _ values: (Int) -> Void) {
                s.newTable(hash: metrics.count)
                for (k, metric) in metrics.enumerated() { values(k); s.setField(-2, metric.rawValue) }
                s.setField(-2, name)
            }
            perMetric("base") { s.push(exact[0].1[$0].base) }
            perMetric("differentiated") { s.push(first[$0].differentiated.rawValue) }
            perMetric("gate") { s.pushComponentTable(first[$0].gate) }
            perMetric("attribution") { s.pushComponentTable(first[$0].attribution) }
            perMetric("integrated") { s.pushComponentTable(ig[$0].scores) }
            perMetric("completeness") { pushCompleteness(s, ig[$0]) }
            s.newTable(hash: exact.count)
            for (name, scores) in exact {
                s.newTable(hash: metrics.count)
                for (k, metric) in metrics.enumerated() { s.pushComponentTable(scores[k].scores); s.setField(-2, metric.rawValue) }
                s.setField(-2, name)
            }
            s.setField(-2, "exact")
            if let sh = shapley {
                perMetric("shapley") { s.pushComponentTable(sh[$0].scores) }
                perMetric("shapley_se") { s.pushComponentTable(sh[$0].standardErrors) }
                s.push(permutations); s.setField(-2, "permutations")
            }
            s.newTable(hash: seconds.count)
            for (name, t) in seconds { s.push(t); s.setField(-2, name) }
            s.setField(-2, "seconds")
            return 1
        }
    }
}
