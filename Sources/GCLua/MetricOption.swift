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

/// Integers as given from Lua: a number or tables of numbers, read exactly
/// (`lua_tointegerx`), or a tensor, kept as it is until it meets a batch (so that a tensor of
/// the wrong size is refused before it is converted).
enum IntegerValues {
    case number(Int)
    case list([Int])
    /// Lists of lists, which may be ragged (each sample has its own target positions).
    case rows([[Int]])
    case tensor(Tensor)

    /// Whether there is one value for all (a number or a 0-d tensor).
    var isSingle: Bool {
        if case .number = self { return true }
        if case .tensor(let t) = self { return t.shape.isEmpty }
        return false
    }

    /// The values for a batch of `samples` samples: a tensor's leading dimension must be the
    /// batch's, and a 2-d tensor may hold at most `perSample` values a sample, before anything
    /// is converted. `what` names the values in errors.
    func resolved(samples: Int, perSample: Int, _ what: String) throws -> IntegerValues {
        guard case .tensor(let t) = self else { return self }
        if t.shape.count >= 1 && t.shape[0] != samples {
            throw GCError("\(what): \(t.shape[0]) \(t.shape.count == 1 ? "values" : "rows") for \(samples) samples")
        }
        if t.shape.count == 2 && t.shape[1] > perSample {
            throw GCError("\(what): \(t.shape[1]) values a sample, more than the \(perSample) target positions of any sample")
        }
        let ints = try t.data.map { v -> Int in
            guard v.isFinite, v == v.rounded() else { throw GCError("\(what): integers expected, got \(v)") }
            guard abs(v) < 16_777_216 else {   // a float32 holds every integer only up to 2^24
                throw GCError("\(what): \(Int(v)) is beyond the integers a float32 tensor holds exactly (|x| < 2^24); give a Lua number or list")
            }
            return Int(v)
        }
        switch t.shape.count {
        case 0: return .number(ints[0])
        case 1: return .list(ints)
        default:
            let k = t.shape[1]
            return .rows((0..<samples).map { Array(ints[($0 * k)..<($0 * k + k)]) })
        }
    }
}

/// `{"logit_diff", answer = ..., wrong = ..., pos = ...}` as read, before it meets a batch.
struct ContrastRequest {
    var answer: IntegerValues, wrong: IntegerValues
    var positions: IntegerValues?

    /// One token for all and at most one position for all: the same contrast fits any batch
    /// (per-sample tokens belong to one batch's rows).
    var isUniform: Bool { answer.isSingle && wrong.isSingle && (positions?.isSingle ?? true) }

    /// `b` with this contrast attached, blaming option `option` of argument `i` when it
    /// does not fit `b` or the vocabulary of `m`.
    func on(_ c: LuaCall, _ i: Int32, option: String, _ b: TokenBatch, model m: Transformer) throws -> TokenBatch {
        try c.arg(i, option: option) {
            let widest = b.targetPositions.map(\.count).max() ?? 0
            let a = try ContrastRequest.tokens(answer.resolved(samples: b.size, perSample: widest, "answer"), "answer")
            let w = try ContrastRequest.tokens(wrong.resolved(samples: b.size, perSample: widest, "wrong"), "wrong")
            let p = try positions.map { try ContrastRequest.positions($0.resolved(samples: b.size, perSample: 0, "pos")) }
            let out = try b.contrasted(try LogitContrast(b, answer: a, wrong: w, at: p))
            try m.checkTokens(out)
            return out
        }
    }

    /// Resolved values as tokens (a negative one is refused by `LogitContrast`, the one home
    /// of that rule; here only what an Int32 cannot hold).
    static func tokens(_ v: IntegerValues, _ what: String) throws -> LogitContrast.Tokens {
        func token(_ n: Int) throws -> Int32 {
            guard let t = Int32(exactly: n) else { throw GCError("\(what): token \(n) is out of range") }
            return t
        }
        switch v {
        case .number(let n): return .every(try token(n))
        case .list(let l): return .perSample(try l.map(token))
        case .rows(let r): return .perTarget(try r.map { try $0.map(token) })
        case .tensor: throw GCError("\(what): unresolved")   // (resolved first: never reached)
        }
    }

    /// Resolved values as positions: one for all or one per sample.
    static func positions(_ v: IntegerValues) throws -> LogitContrast.Positions {
        switch v {
        case .number(let n): return .every(n)
        case .list(let l): return .perSample(l)
        default: throw GCError("pos: a position or one per sample expected")
        }
    }
}

/// The one reader of `metric = name | {"logit_diff", answer =, wrong =, pos =}` and of the
/// ladder's `metrics = {name or {"logit_diff", ...}, ...}`.
enum MetricOption {
    /// How TransformerLens's metric is written, for error messages.
    static let logitDiffForm = #"{"logit_diff", answer = ..., wrong = ...}"#

    /// The `metric` option of functions that return evaluations (m:evaluate,
    /// gcgap.score.ablations): only the logit difference's table, every other metric is in
    /// their results already.
    static func contrastOnly(_ c: LuaCall, _ o: LuaOptions, _ i: Int32) throws -> MetricRequest {
        let r = try read(c, o, i)
        guard o.has("metric"), r.contrast == nil else { return r }
        throw c.argError(i, "option 'metric': every metric is in the result; the option takes only \(logitDiffForm)")
    }

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
        let names = Metric.allCases.filter { !$0.needsContrast }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        guard lua_type(c.L, at) == LUA_TSTRING, let name = c.state.string(at: at), let m = Metric(rawValue: name) else {
            let got = lua_type(c.L, at) == LUA_TSTRING ? "'\(c.state.string(at: at) ?? "?")'" : c.state.typeName(at: at)
            throw c.argError(src.index, src.prefix("metric name (\(names)) or \(logitDiffForm) expected, got \(got)"))
        }
        guard !m.needsContrast else { throw c.argError(src.index, src.prefix("'logit_diff' alone: " + Metric.logitDiffHint)) }
        return MetricRequest(metric: m)
    }

    /// `{"logit_diff", answer =, wrong =, pos =}` at stack slot `t`.
    static func contrast(_ c: LuaCall, _ t: Int32, _ src: LuaCall.ListSource) throws -> ContrastRequest {
        try checkKeys(c, t, src)
        let answer = try integers(c, t, "answer", src, required: true, nested: true)!
        let wrong = try integers(c, t, "wrong", src, required: true, nested: true)!
        return ContrastRequest(answer: answer, wrong: wrong, positions: try integers(c, t, "pos", src, required: false, nested: false))
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

    /// The integers at `t[key]` (nil when absent and not `required`): a number, a list, a
    /// list of lists (when `nested`) or a tensor of rank 0 to 1 (2 when `nested`).
    static func integers(_ c: LuaCall, _ t: Int32, _ key: String, _ src: LuaCall.ListSource, required: Bool,
                         nested: Bool) throws -> IntegerValues? {
        func bad(_ detail: String) -> LuaError { c.argError(src.index, src.prefix("\(key): \(detail)")) }
        c.state.rawField(t, key)
        defer { c.state.pop() }
        switch lua_type(c.L, -1) {
        case LUA_TNIL:
            if required { throw bad("missing, in \(logitDiffForm)") }
            return nil
        case LUA_TNUMBER: return .number(try integer(c, -1, "", bad))
        case LUA_TTABLE: return try integerTable(c, lua_gettop(c.L), nested: nested, bad)
        default:
            let expected = nested ? "a token, a list, a list of lists or a tensor" : "a position, a list or a tensor"
            guard let box = c.state.object(at: -1, GCTypes.tensor) else {
                throw bad("\(expected) expected, got \(c.state.typeName(at: -1))")
            }
            guard box.value.shape.count <= (nested ? 2 : 1) else { throw bad("\(expected) expected, got a tensor of \(box.value.shape.count) dimensions") }
            return .tensor(box.value)
        }
    }

    /// The exact integer at stack slot `i` (`path` names it in errors).
    static func integer(_ c: LuaCall, _ i: Int32, _ path: String, _ bad: (String) -> LuaError) throws -> Int {
        var ok: Int32 = 0
        let v = lua_tointegerx(c.L, i, &ok)
        guard ok != 0, lua_type(c.L, i) == LUA_TNUMBER else {
            let got = lua_type(c.L, i) == LUA_TNUMBER ? "\(lua_tonumberx(c.L, i, nil))" : c.state.typeName(at: i)
            throw bad("integer expected\(path.isEmpty ? "" : " at " + path), got \(got)")
        }
        return Int(v)
    }

    /// A list of integers, or (when `nested`) a list of lists of integers, at slot `t`.
    static func integerTable(_ c: LuaCall, _ t: Int32, nested: Bool, _ bad: (String) -> LuaError) throws -> IntegerValues {
        let n = c.rawLength(t)
        lua_rawgeti(c.L, t, 1)
        let isRows = lua_type(c.L, -1) == LUA_TTABLE
        c.state.pop()
        if isRows && !nested { throw bad("a list of integers expected, got a list of tables") }
        var list: [Int] = [], rows: [[Int]] = []
        for k in 1...max(n, 1) where k <= n {
            lua_rawgeti(c.L, t, lua_Integer(k))
            defer { c.state.pop() }
            guard isRows else { list.append(try integer(c, -1, "[\(k)]", bad)); continue }
            guard lua_type(c.L, -1) == LUA_TTABLE else { throw bad("a list expected at [\(k)], got \(c.state.typeName(at: -1))") }
            // (appended one by one: a sparse table's raw length can be far beyond what it holds)
            let row = lua_gettop(c.L), m = c.rawLength(row)
            var values: [Int] = []
            for j in 1...max(m, 1) where j <= m {
                lua_rawgeti(c.L, row, lua_Integer(j))
                defer { c.state.pop() }
                values.append(try integer(c, -1, "[\(k)][\(j)]", bad))
            }
            rows.append(values)
        }
        return isRows ? .rows(rows) : .list(list)
    }
}
