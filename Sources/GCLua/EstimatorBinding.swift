import CLua
import CLuaShim
import Foundation
import GCCore

/// The estimator ladder's Lua face: `gcgap.score.gate`, `.attribution`, `.integrated`,
/// `.shapley`, and `.ladder` (all of them, every metric asked for, the exact ablation kinds).
enum EstimatorBinding {
    /// The `components` option: a list of head and MLP names (all of them by default).
    static func components(_ c: LuaCall, _ o: LuaOptions, model m: Transformer) throws -> [Component] {
        try c.components(o, "components", model: m, scored: true, nonEmpty: true) ?? m.config.components
    }

    static func gate(_ c: LuaCall) throws -> Int32 {
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try components(c, o, model: m)
        let metric = try MetricOption.read(c, o, 3)
        try o.finish()
        let mb = try metric.on(c, 3, b, model: m)
        let e = try c.arg(2) { try m.firstOrderEstimates(mb, baseline: .zero, metrics: [metric.metric], components: comps)[0] }
        c.state.pushComponentTable(e.gate)
        c.state.push(e.value)
        c.state.push(e.differentiated.rawValue)
        return 3
    }

    static func attribution(_ c: LuaCall) throws -> Int32 {
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try components(c, o, model: m)
        let (baseline, metric, mb) = try InterventionOptions.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
        let e = try c.arg(2) { try m.firstOrderEstimates(mb, baseline: baseline, metrics: [metric], components: comps)[0] }
        c.state.pushComponentTable(e.attribution)
        c.state.push(e.value)
        c.state.push(e.differentiated.rawValue)
        return 3
    }

    static func integrated(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try components(c, o, model: m)
        let steps = try o.integer("steps", in: 1...10_000) ?? 16
        let (baseline, metric, mb) = try InterventionOptions.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
        let ig = try c.arg(2) {
            try m.integratedGradients(mb, baseline: baseline, steps: steps, metrics: [metric], components: comps,
                                      shouldStop: progress.stop)[0]
        }
        c.state.pushComponentTable(ig.scores)
        pushCompleteness(c.state, ig)
        return 2
    }

    static func shapley(_ c: LuaCall) throws -> Int32 {
        let progress = Progress("score." + c.name); defer { progress.finish() }
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let comps = try components(c, o, model: m)
        let n = try o.integer("permutations", in: 1...1_000_000) ?? 10
        let seed = try ScoringBinding.seed(o, model: m)
        let (ablation, metric, mb) = try InterventionOptions.ablationAndMetric(c, o, 3, model: m, batch: b, components: comps)
        let s = try c.arg(2) {
            try m.shapleyValues(mb, ablation: ablation, permutations: n, seed: seed, metrics: [metric], components: comps,
                                shouldStop: progress.stop)[0]
        }
        c.state.pushComponentTable(s.scores)
        c.state.newTable(hash: 3)
        c.state.pushComponentTable(s.standardErrors); c.state.setField(-2, "se")
        c.state.push(s.total); c.state.setField(-2, "total")
        c.state.push(s.permutations); c.state.setField(-2, "permutations")
        return 2
    }

    static func pushCompleteness(_ s: LuaState, _ ig: Transformer.IntegratedGradients) {
        s.newTable(hash: 5)
        s.push(ig.sum); s.setField(-2, "sum")
        s.push(ig.total); s.setField(-2, "total")
        s.push(ig.completenessError); s.setField(-2, "error")
        s.push(ig.steps); s.setField(-2, "steps")
        s.push(ig.differentiated.rawValue); s.setField(-2, "differentiated")
    }

    /// What the ladder's options ask for.
    struct LadderPlan {
        var components: [Component], metrics: [Metric], kinds: [AblationKind]
        /// The logit difference's tokens, when `metrics` holds one.
        var contrast: ContrastRequest?
        var steps: Int, permutations: Int, seed: UInt64
        var request: AblationRequest
    }

    /// The exact ablation kinds the ladder scores: every kind it can resolve (resample
    /// only with a source), or those named in `ablations`.
    static func ladderKinds(_ c: LuaCall, _ o: LuaOptions, source: Bool) throws -> [AblationKind] {
        defer { c.state.pop() }
        guard o.push("ablations") != LUA_TNIL else { return AblationKind.allCases.filter { $0 != .resample || source } }
        let names = try c.optionList(lua_gettop(c.L), 3, "ablations", limit: 16, what: "ablation kind")
        var kinds: [AblationKind] = []
        for name in names {
            guard let k = AblationKind(rawValue: name) else {
                throw c.argError(3, "option 'ablations': unknown ablation '\(name)' (\(AblationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if k == .resample && !source { throw c.argError(3, "option 'source': a batch is needed for resample ablation") }
            if !kinds.contains(k) { kinds.append(k) }
        }
        return kinds
    }

    static func ladderPlan(_ c: LuaCall, model m: Transformer) throws -> LadderPlan {
        let o = try c.options(3)
        let comps = try components(c, o, model: m)
        let (metrics, contrast) = try MetricOption.readList(c, o, 3)
        let steps = try o.integer("steps", in: 1...10_000) ?? 16
        let permutations = try o.integer("shapley", in: 0...1_000_000) ?? 0
        let seed = try ScoringBinding.seed(o, model: m)
        let request = try InterventionOptions.request(c, o, 3, model: m)
        let kinds = try ladderKinds(c, o, source: request.source != nil)
        try o.finish()
        return LadderPlan(components: comps, metrics: metrics, kinds: kinds, contrast: contrast, steps: steps, permutations: permutations,
                          seed: seed, request: request)
    }
}

/// `gcgap.score.ladder(m, set, {metrics=, ablation=, ablations=, steps=, shapley=, seed=, means=,
/// per_position=, source=, components=})`: every estimator beside exact C.
extension EstimatorBinding {
    struct LadderResult {
        var first: [Transformer.FirstOrderEstimates] = []
        var integrated: [Transformer.IntegratedGradients] = []
        var exact: [(AblationKind, [Transformer.CausalScores])] = []
        var shapley: [Transformer.ShapleyValues]? = nil
        var seconds: [(String, Double)] = []

        mutating func timed<T>(_ name: String, _ f: () throws -> T) rethrows -> T {
            let t0 = Date().timeIntervalSince1970
            let r = try f()
            seconds.append((name, Date().timeIntervalSince1970 - t0))
            return r
        }
    }

    static func runLadder(_ m: Transformer, _ b: TokenBatch, _ p: LadderPlan) throws -> LadderResult {
        let progress = Progress("score.ladder"); defer { progress.finish() }
        var r = LadderResult()
        var resolved: [AblationKind: Ablation] = [:]
        func ablation(_ kind: AblationKind) throws -> Ablation {
            if let a = resolved[kind] { return a }
            var request = p.request
            request.kind = kind
            let a = try m.resolve(request, on: b, components: p.components).ablation
            resolved[kind] = a
            return a
        }
        let base = try r.timed("means") { try ablation(p.request.kind) }
        r.first = try r.timed("first_order") { try m.firstOrderEstimates(b, baseline: base, metrics: p.metrics, components: p.components) }
        r.integrated = try r.timed("integrated") {
            try m.integratedGradients(b, baseline: base, steps: p.steps, metrics: p.metrics, components: p.components,
                                      shouldStop: progress.stop)
        }
        r.exact = try r.timed("exact") {
            try p.kinds.map { kind in
                (kind, try m.causalScores(b, ablation: try ablation(kind), components: p.components, metrics: p.metrics,
                                          shouldStop: progress.stop))
            }
        }
        if p.permutations > 0 {
            r.shapley = try r.timed("shapley") {
                try m.shapleyValues(b, ablation: base, permutations: p.permutations, seed: p.seed, metrics: p.metrics,
                                    components: p.components, shouldStop: progress.stop)
            }
        }
        return r
    }

    static func ladder(_ c: LuaCall) throws -> Int32 {
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let plan = try ladderPlan(c, model: m)
        let mb = try plan.contrast?.on(c, 3, option: "metrics", b, model: m) ?? b
        let r = try c.arg(2) { try runLadder(m, mb, plan) }
        pushLadder(c.state, plan, r)
        return 1
    }

    static func pushLadder(_ s: LuaState, _ p: LadderPlan, _ r: LadderResult) {
        s.newTable(hash: 12)
        s.pushStringList(p.metrics.map(\.rawValue)); s.setField(-2, "metrics")
        s.pushStringList(p.components.map(\.description)); s.setField(-2, "components")
        s.push(p.steps); s.setField(-2, "steps")
        func perMetric(_ name: String, _ values: (Int) -> Void) {
            s.newTable(hash: p.metrics.count)
            for (k, metric) in p.metrics.enumerated() { values(k); s.setField(-2, metric.rawValue) }
            s.setField(-2, name)
        }
        if let exact = r.exact.first?.1 { perMetric("base") { s.push(exact[$0].base) } }
        perMetric("differentiated") { s.push(r.first[$0].differentiated.rawValue) }
        perMetric("gate") { s.pushComponentTable(r.first[$0].gate) }
        perMetric("attribution") { s.pushComponentTable(r.first[$0].attribution) }
        perMetric("integrated") { s.pushComponentTable(r.integrated[$0].scores) }
        perMetric("completeness") { pushCompleteness(s, r.integrated[$0]) }
        s.newTable(hash: r.exact.count)
        for (kind, scores) in r.exact {
            s.newTable(hash: p.metrics.count)
            for (k, metric) in p.metrics.enumerated() { s.pushComponentTable(scores[k].scores); s.setField(-2, metric.rawValue) }
            s.setField(-2, kind.rawValue)
        }
        s.setField(-2, "exact")
        if let sh = r.shapley {
            perMetric("shapley") { s.pushComponentTable(sh[$0].scores) }
            perMetric("shapley_se") { s.pushComponentTable(sh[$0].standardErrors) }
            s.push(p.permutations); s.setField(-2, "permutations")
        }
        s.newTable(hash: r.seconds.count)
        for (name, t) in r.seconds { s.push(t); s.setField(-2, name) }
        s.setField(-2, "seconds")
    }

    static let functions: [(String, LuaFunction)] = [
        ("gate", gate), ("attribution", attribution), ("integrated", integrated), ("shapley", shapley), ("ladder", ladder),
    ]
}
