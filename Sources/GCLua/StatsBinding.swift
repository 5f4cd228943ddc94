import CLua
import CLuaShim
import GCCore

/// `gcgap.stats`, `gcgap.gap`, `gcgap.classify`: statistics over score tables
/// ({name = number}) and numeric sequences.
enum StatsBinding {
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

    /// The numbers of the sequence at `i`, up to the first non-number, which ends the list as
    /// a NaN (refused by the caller; a sparse table's raw length can be far beyond what it holds).
    static func numberList(_ c: LuaCall, _ i: Int32) -> [Double] {
        let n = c.rawLength(i)
        var out: [Double] = []
        for k in 1...max(1, n) where k <= n {
            lua_rawgeti(c.L, i, lua_Integer(k)); defer { c.state.pop() }
            guard lua_type(c.L, -1) == LUA_TNUMBER else { out.append(.nan); break }
            out.append(lua_tonumberx(c.L, -1, nil))
        }
        return out
    }

    /// Two numeric sequences (arrays) or two score tables.
    static func sequences(_ c: LuaCall) throws -> ([Double], [Double]) {
        try c.table(1); try c.table(2)
        guard c.rawLength(1) > 0 || c.rawLength(2) > 0 else { let p = try pairedScores(c, 1, 2); return (p.x, p.y) }
        let x = numberList(c, 1), y = numberList(c, 2)
        guard x.count == y.count else { throw c.argError(2, "sequences of \(x.count) and \(y.count) numbers") }
        if x.contains(where: { !$0.isFinite }) { throw c.argError(1, "finite numbers expected, NaN or inf found") }
        if y.contains(where: { !$0.isFinite }) { throw c.argError(2, "finite numbers expected, NaN or inf found") }
        return (x, y)
    }

    static func pushOptional(_ s: LuaState, _ v: Double?) { if let v = v { s.push(v) } else { s.pushNil() } }

    static func spearman(_ c: LuaCall) throws -> Int32 { let (x, y) = try sequences(c); pushOptional(c.state, Stats.spearman(x, y)); return 1 }
    static func kendall(_ c: LuaCall) throws -> Int32 { let (x, y) = try sequences(c); pushOptional(c.state, Stats.kendall(x, y)); return 1 }
    static func pearson(_ c: LuaCall) throws -> Int32 { let (x, y) = try sequences(c); pushOptional(c.state, Stats.pearson(x, y)); return 1 }

    static func rankMethod(_ c: LuaCall, _ i: Int32) throws -> Stats.RankMethod {
        .init(rawValue: try c.choice(i, Stats.RankMethod.allCases.map(\.rawValue), default: "average"))!
    }

    static func ranks(_ c: LuaCall) throws -> Int32 {
        let method = try rankMethod(c, 2)
        if c.type(1) == LUA_TTABLE && c.rawLength(1) == 0 {
            let t = try scoreTable(c, 1)
            let r = Stats.ranks(t.values, method: method)
            c.state.newTable(hash: r.count)
            for (n, v) in zip(t.names, r) { c.state.push(v); c.state.setField(-2, n) }
            return 1
        }
        try c.table(1)
        let x = numberList(c, 1)
        if let k = x.firstIndex(where: { $0.isNaN }) { throw c.argError(1, "number expected at index \(k + 1)") }
        c.state.pushNumberList(Stats.ranks(x, method: method)); return 1
    }

    static func seed(_ o: LuaOptions) throws -> UInt64 { UInt64(bitPattern: Int64(try o.integer("seed") ?? 0)) }

    static func permutation(_ c: LuaCall) throws -> Int32 {
        let (x, y) = try sequences(c)
        let o = try c.options(3)
        let n = try o.integer("permutations", in: 1...10_000_000) ?? 10_000
        let seed = try seed(o)
        try o.finish()
        pushOptional(c.state, Stats.permutationPValue(x, y, permutations: n, seed: seed)); return 1
    }

    static func bootstrap(_ c: LuaCall) throws -> Int32 {
        let (x, y) = try sequences(c)
        let o = try c.options(3)
        let n = try o.integer("resamples", in: 1...10_000_000) ?? 2000
        let level = try o.number("level") ?? 0.95
        let seed = try seed(o)
        try o.finish()
        guard level > 0 && level < 1 else { throw c.argError(3, "option 'level': must be in (0, 1)") }
        guard let ci = Stats.bootstrapSpearman(x, y, resamples: n, level: level, seed: seed) else { c.state.pushNil(); return 1 }
        c.state.push(ci.low); c.state.push(ci.high); return 2
    }

    static let statsFunctions: [(String, LuaFunction)] = [
        ("spearman", spearman), ("kendall", kendall), ("pearson", pearson), ("ranks", ranks),
        ("permutation", permutation), ("bootstrap", bootstrap),
    ]

    /// gcgap.gap(G, C, {ranks=}): the rank gap Δ per component (`Stats.gap`).
    static func gap(_ c: LuaCall) throws -> Int32 {
        let p = try pairedScores(c, 1, 2)
        let o = try c.options(3)
        let names = Stats.RankMethod.allCases.map(\.rawValue)
        let method = try o.choice("ranks", names) ?? ProtocolDefaults.choice(c, "ranks", names, option: "ranks", blame: 3)
        try o.finish()
        let d = Stats.gap(p.x, p.y, method: .init(rawValue: method)!)
        c.state.newTable(hash: d.count)
        for (n, v) in zip(p.names, d) { c.state.push(v); c.state.setField(-2, n) }
        return 1
    }

    /// gcgap.classify(delta, {threshold=, strict=}) -> {heroes=, bloats=, aligned=}.
    static func classify(_ c: LuaCall) throws -> Int32 {
        let d = try scoreTable(c, 1)
        let o = try c.options(2)
        let t = try o.number("threshold") ?? ProtocolDefaults.number(c, "threshold", option: "threshold", blame: 2)
        guard t >= 0 else { throw c.argError(2, "option 'threshold': non-negative number expected, got \(t)") }
        let strict = try o.boolean("strict") ?? ProtocolDefaults.boolean(c, "strict", option: "strict", blame: 2)
        try o.finish()
        let classes = Stats.classify(names: d.names, delta: d.values, threshold: t, strict: strict)
        c.state.newTable(hash: 3)
        c.state.pushStringList(classes.heroes); c.state.setField(-2, "heroes")
        c.state.pushStringList(classes.bloats); c.state.setField(-2, "bloats")
        c.state.pushStringList(classes.aligned); c.state.setField(-2, "aligned")
        return 1
    }

    static let functions: [(String, LuaFunction)] = [("gap", gap), ("classify", classify)]
}
