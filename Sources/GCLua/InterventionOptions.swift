import CLua
import CLuaShim
import GCCore

/// The one reader of the options every ablation-taking function shares:
/// `{ablation = "mean" | "zero" | "resample" (alias `with`), means = gcgap.means(...),
/// per_position = bool, source = batch, zslice_defect = bool, metric = name or table}` (the
/// metric's reader is `MetricOption`).
/// `m:accuracy/loss/evaluate/logits`, every `gcgap.score.*` and the ladder read them here.
enum InterventionOptions {
    /// The option names of an ablation (for docs and for the check that they are read).
    static let ablationKeys = ["ablation", "with", "means", "per_position", "source", "zslice_defect"]

    /// The ablation an options table asks for (`defect`: whether `zslice_defect` is taken).
    /// Errors blame the options table, argument `i`.
    static func request(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer?,
                        defect: Bool = false) throws -> AblationRequest {
        let names = AblationKind.allCases.map(\.rawValue)
        let kind = try o.choice("ablation", names), with = try o.choice("with", names)
        if kind != nil && with != nil { throw c.argError(i, "options 'ablation' and 'with' name the same thing; give one") }
        var r = AblationRequest(kind: AblationKind(rawValue: kind ?? with ?? "mean")!)
        r.perPosition = try o.boolean("per_position")
        r.means = try means(c, o, i)
        r.source = try source(c, o, i, model: m)
        if defect { r.zSliceDefect = try o.boolean("zslice_defect") ?? false }
        return r
    }

    /// Resolves a request against the model and set, blaming argument `i`.
    static func resolve(_ c: LuaCall, _ i: Int32, _ r: AblationRequest, model m: Transformer, batch b: TokenBatch,
                        components: [Component]) throws -> ResolvedAblation {
        try c.arg(i) { try m.resolve(r, on: b, components: components) }
    }

    /// Reads, finishes and resolves the ablation options at `i`, with the metric and the
    /// batch made ready for it (`MetricRequest.on`).
    static func ablationAndMetric(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer, batch b: TokenBatch,
                                  components comps: [Component]) throws -> (Ablation, Metric, TokenBatch) {
        let r = try request(c, o, i, model: m)
        let metric = try MetricOption.read(c, o, i)
        try o.finish()
        let ablation = try resolve(c, i, r, model: m, batch: b, components: comps).ablation
        return (ablation, metric.metric, try metric.on(c, i, b, model: m))
    }

    /// The `means` option: means from gcgap.means, or nil.
    static func means(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> ComponentMeans? {
        defer { c.state.pop() }
        guard o.push("means") != LUA_TNIL else { return nil }
        guard let mb = c.state.object(at: -1, MeansBinding.type) else {
            throw c.argError(i, "option 'means': means expected (from gcgap.means), got \(c.state.typeName(at: -1))")
        }
        return mb.value
    }

    /// The `source` option (a batch for resample ablation, checked against `model` when
    /// given), or nil. Errors blame the options table, argument `i`.
    static func source(_ c: LuaCall, _ o: LuaOptions, _ i: Int32, model m: Transformer?) throws -> TokenBatch? {
        defer { c.state.pop() }
        guard o.push("source") != LUA_TNIL else { return nil }
        let at = lua_gettop(c.L)
        guard let b = c.state.object(at: at, GCTypes.batch)?.value ?? (lua_type(c.L, at) == LUA_TTABLE ? try? c.batch(at) : nil) else {
            throw c.argError(i, "option 'source': batch expected, got \(c.state.typeName(at: at))")
        }
        if let m { try c.arg(i, option: "source") { try m.checkTokens(b) } }
        return b
    }
}
