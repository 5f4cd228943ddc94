import CLua
import CLuaShim
import GCCore

/// What a `metric` option asks for: the metric, and for TransformerLens's logit difference
/// the answer and wrong tokens to attach to the batch it is scored on.
struct MetricRequest {
    var metric: Metric
    var contrast: ContrastRequest?

    /// `b` ready to be scored by the metric on `m`: with its logit contrast attached (blaming
    /// the options table, argument `i`, for a contrast that does not fit `b` or `m`).
    func on(_ c: LuaCall, _ i: Int32, _ b: TokenBatch, model m: Transformer) throws -> TokenBatch {
        try contrast?.on(c, i, option: "metric", b, model: m) ?? b
    }
}

/// `{"logit_diff", answer = ..., wrong = ..., pos = ...}` as read, before it meets a batch.
struct ContrastRequest {
    var answer: LogitContrast.Tokens, wrong: LogitContrast.Tokens
    var positions: LogitContrast.Positions?

    /// `b` with this contrast attached, blaming option `option` of argument `i` when it
    /// does not fit `b` or the vocabulary of `m`.
    func on(_ c: LuaCall, _ i: Int32, option: String, _ b: TokenBatch, model m: Transformer) throws -> TokenBatch {
        try c.arg(i, option: option) {
            let out = try b.contrasted(try LogitContrast(b, answer: answer, wrong: wrong, at: positions))
            try m.checkTokens(out)
            return out
        }
    }
}

/// The one reader of `metric = name | {"logit_diff", answer =, wrong =, pos =}` and of the
/// ladder's `metrics = {name or {"logit_diff", ...}, ...}`.
enum MetricOption {
    /// How TransformerLens's metric is written, for error messages.
    static let logitDiffForm = #"{"logit_diff", answer = ..., wrong = ...}"#

    /// The `metric` option of the options table at argument `i` (exact match by default).
    static func read(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> MetricRequest {
        defer { c.state.pop() }
        guard o.push("metric") != LUA_TNIL else { return MetricRequest(metric: .accuracy) }
        return try item(c, lua_gettop(c.L), .init(index: i, option: "metric"))
    }

    /// The `metrics` option (`Metric.ladderDefault` when absent), with the one contrast a
    /// logit difference among them asks for.
    static func readList(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> (metrics: [Metric], contrast: ContrastRequest?) {
        defer { c.state.pop() }
        guard o.push("metrics") != LUA_TNIL else { return (Metric.ladderDefault, nil) }
        let t = lua_gettop(c.L), src = LuaCall.ListSource(index: i, option: "metrics")
        guard lua_type(c.L, t) == LUA_TTABLE else { throw c.argError(i, src.prefix("list expected, got \(c.state.typeName(at: t))")) }
        let n = c.rawLength(t)
        guard n <= Metric.allCases.count * 4 else { throw c.argError(i, src.prefix("at most \(Metric.allCases.count * 4) metrics, got \(n)")) }
        var out: [Metric] = [], contrast: ContrastRequest? = nil
        for k in 1...max(n, 1) where k <= n {
            lua_rawgeti(c.L, t, lua_Integer(k))
            defer { c.state.pop() }
            let r = try item(c, lua_gettop(c.L), .init(index: i, option: "metrics", entry: k))
            if r.contrast != nil && contrast != nil { throw c.argError(i, src.prefix("one logit_diff per call")) }
            contrast = contrast ?? r.contrast
            if !out.contains(r.metric) { out.append(r.metric) }
        }
        guard !out.isEmpty else { throw c.argError(i, src.prefix("at least one metric expected")) }
        return (out, contrast)
    }

    /// One metric at stack slot `at`: a name, or TransformerLens's logit difference as a table.
    static func item(_ c: LuaCall, _ at: Int32, _ src: LuaCall.ListSource) throws -> MetricRequest {
        if lua_type(c.L, at) == LUA_TTABLE { return MetricRequest(metric: .logitDiff, contrast: try contrast(c, at, src)) }
        let names = Metric.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        guard lua_type(c.L, at) == LUA_TSTRING, let name = c.state.string(at: at), let m = Metric(rawValue: name) else {
            let got = lua_type(c.L, at) == LUA_TSTRING ? "'\(c.state.string(at: at) ?? "?")'" : c.state.typeName(at: at)
            throw c.argError(src.index, src.prefix("metric name expected (\(names)), got \(got)"))
        }
        guard !m.needsContrast else {
            throw c.argError(src.index, src.prefix("'logit_diff' is TransformerLens's answer-minus-wrong difference and needs its tokens: "
                                                   + "\(logitDiffForm); the target's logit minus the largest other is 'margin'"))
        }
        return MetricRequest(metric: m)
    }

    /// `{"logit_diff", answer =, wrong =, pos =}` at stack slot `t`.
    static func contrast(_ c: LuaCall, _ t: Int32, _ src: LuaCall.ListSource) throws -> ContrastRequest {
        try checkKeys(c, t, src)
        let answer = try tokens(c, t, "answer", src), wrong = try tokens(c, t, "wrong", src)
        return ContrastRequest(answer: answer, wrong: wrong, positions: try positions(c, t, src))
    }

    /// The table names "logit_diff" first and has no key but answer, wrong and pos.
    static func checkKeys(_ c: LuaCall, _ t: Int32, _ src: LuaCall.ListSource) throws {
        lua_rawgeti(c.L, t, 1)
        let first = c.state.string(at: -1)
        c.state.pop()
        guard first == Metric.logitDiff.rawValue else {
            throw c.argError(src.index, src.prefix("a metric table is TransformerLens's \(logitDiffForm), with \"logit_diff\" first"))
        }
        lua_pushnil(c.L)
        while lua_next(c.L, t) != 0 {
            c.state.pop()
            let isFirst = lua_type(c.L, -1) == LUA_TNUMBER && lua_tointegerx(c.L, -1, nil) == 1
            let key = lua_type(c.L, -1) == LUA_TSTRING ? c.state.string(at: -1) : nil
            guard isFirst || ["answer", "wrong", "pos"].contains(key ?? "") else {
                let name = c.state.describe(at: -1)
                c.state.pop()
                throw c.argError(src.index, src.prefix("unknown key \(name) in \(logitDiffForm) (known: answer, wrong, pos)"))
            }
        }
    }

    /// The tokens at `t[key]`: a token, one per sample (a list or 1-d tensor) or one per
    /// target position of each sample (nested lists or a 2-d tensor).
    static func tokens(_ c: LuaCall, _ t: Int32, _ key: String, _ src: LuaCall.ListSource) throws -> LogitContrast.Tokens {
        let values = try integers(c, t, key, src, required: true, ranks: 0...2)!
        switch values.shape.count {
        case 0: return .every(Int32(values.data[0]))
        case 1: return .perSample(values.data.map(Int32.init))
        default:
            let k = values.shape[1]
            return .perTarget((0..<values.shape[0]).map { r in values.data[(r * k)..<(r * k + k)].map(Int32.init) })
        }
    }

    /// `t.pos`: one input position for every sample or one per sample (1-based, negative
    /// from each sample's end), or nil.
    static func positions(_ c: LuaCall, _ t: Int32, _ src: LuaCall.ListSource) throws -> LogitContrast.Positions? {
        guard let values = try integers(c, t, "pos", src, required: false, ranks: 0...1) else { return nil }
        return values.shape.isEmpty ? .every(values.data[0]) : .perSample(values.data)
    }

    /// The integers at `t[key]`: a number, a tensor or nested tables, of a rank in `ranks`.
    static func integers(_ c: LuaCall, _ t: Int32, _ key: String, _ src: LuaCall.ListSource, required: Bool,
                         ranks: ClosedRange<Int>) throws -> (shape: [Int], data: [Int])? {
        let L = c.L
        func bad(_ detail: String) -> LuaError { c.argError(src.index, src.prefix("\(key): \(detail)")) }
        c.state.rawField(t, key)
        defer { c.state.pop() }
        let tensor: Tensor
        switch lua_type(L, -1) {
        case LUA_TNIL:
            if required { throw bad("missing, in \(logitDiffForm)") }
            return nil
        case LUA_TNUMBER: tensor = Tensor(scalar: Float(lua_tonumberx(L, -1, nil)))
        case LUA_TTABLE: tensor = try c.tensorFromTable(-1, src)
        default:
            guard let box = c.state.object(at: -1, GCTypes.tensor) else {
                throw bad("integer, list or tensor expected, got \(c.state.typeName(at: -1))")
            }
            tensor = box.value
        }
        guard ranks.contains(tensor.shape.count) else { throw bad("\(ranks.upperBound == 2 ? "a token, a list, or a list of lists" : "a position or a list") expected, got \(tensor.shape.count) dimensions") }
        var data: [Int] = []
        for v in tensor.data {
            guard v == v.rounded(), abs(v) < Float(1 << 24) else { throw bad("integers expected, got \(v)") }
            data.append(Int(v))
        }
        return (tensor.shape, data)
    }
}
