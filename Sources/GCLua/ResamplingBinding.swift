import CLua
import CLuaShim
import GCCore

/// `gcgap.stats.mean_rho`, `gcgap.stats.permutation_test`, `gcgap.stats.sign_flip`: the
/// verdict's resampling, native (GCCore's `Resampling`).
enum ResamplingBinding {
    static let maxResamples = 10_000_000

    /// The options every resampler takes: resamples (required bound) and seed.
    static func resampleOptions(_ c: LuaCall, _ o: LuaOptions) throws -> (resamples: Int, seed: UInt64) {
        let b = try o.integer("resamples", in: 1...maxResamples) ?? 10_000
        return (b, try StatsBinding.seed(o))
    }

    /// A field of the table at `i` pushed, raw (no metamethod runs: its type returned); the
    /// caller pops it.
    static func field(_ c: LuaCall, _ i: Int32, _ key: String) -> Int32 { c.state.rawField(i, key) }

    /// One record as the bootstrap sees it: r.components, r.G[norm], r.rho[norm], r.samples.
    static func run(_ c: LuaCall, at r: Int32, index k: Int, norm: String) throws -> RunSamples {
        let what = "run \(k)"
        guard lua_type(c.L, r) == LUA_TTABLE else { throw c.argError(1, "\(what): table expected, got \(c.state.typeName(at: r))") }
        guard field(c, r, "components") == LUA_TTABLE else { c.state.pop(); throw c.argError(1, "\(what): 'components' must be a list") }
        // (the length is checked before the walk: a sparse table's can be far beyond what it holds)
        let n = c.rawLength(-1)
        guard n >= 1, n <= 100_000 else { c.state.pop(); throw c.argError(1, "\(what): 'components' must list 1..100000 names") }
        var names: [String] = []
        for j in 1...n {
            lua_rawgeti(c.L, -1, lua_Integer(j)); defer { c.state.pop() }
            if lua_type(c.L, -1) == LUA_TSTRING, let s = c.state.string(at: -1) { names.append(s) }
        }
        c.state.pop()
        guard !names.isEmpty else { throw c.argError(1, "\(what): 'components' must list 1..100000 names") }
        let g = try numbers(c, r, ["G", norm], names, what)
        var rho: Double? = nil
        if field(c, r, "rho") == LUA_TTABLE {
            if field(c, -1, norm) == LUA_TNUMBER { rho = lua_tonumberx(c.L, -1, nil) }
            c.state.pop()
        }
        c.state.pop()
        guard field(c, r, "samples") == LUA_TTABLE else { c.state.pop(); return RunSamples(g: g, rho: rho) }
        defer { c.state.pop() }
        let base = try bits(c, "base", what)
        let ablated = try names.map { try bits(c, $0, what) }
        return try c.arg(1) { try RunSamples(g: g, rho: rho, base: base, ablated: ablated) }
    }

    /// The numbers t[path...][name] for each name (each finite).
    static func numbers(_ c: LuaCall, _ r: Int32, _ path: [String], _ names: [String], _ what: String) throws -> [Double] {
        let top = lua_gettop(c.L)
        defer { lua_settop(c.L, top) }
        var at = r
        for key in path {
            guard field(c, at, key) == LUA_TTABLE else { throw c.argError(1, "\(what): '\(path.joined(separator: "."))' must be a table") }
            at = lua_gettop(c.L)
        }
        return try names.map { name in
            defer { c.state.pop() }
            guard field(c, at, name) == LUA_TNUMBER else { throw c.argError(1, "\(what): no number for '\(name)' in \(path.joined(separator: "."))") }
            let v = lua_tonumberx(c.L, -1, nil)
            guard v.isFinite else { throw c.argError(1, "\(what): '\(name)' in \(path.joined(separator: ".")) is \(v)") }
            return v
        }
    }

    /// samples[key], a string of "0" and "1", as bytes 0/1 (the samples table on top).
    static func bits(_ c: LuaCall, _ key: String, _ what: String) throws -> [UInt8] {
        defer { c.state.pop() }
        guard field(c, -1, key) == LUA_TSTRING, let s = c.state.string(at: -1) else {
            throw c.argError(1, "\(what): samples.\(key) must be a string of 0 and 1")
        }
        return try s.utf8.map { b in
            guard b == 48 || b == 49 else { throw c.argError(1, "\(what): samples.\(key) holds a character other than 0 and 1") }
            return b - 48
        }
    }

    /// gcgap.stats.mean_rho(records, {norm =, resamples =, seed =, seeds =, samples =})
    static func meanRho(_ c: LuaCall) throws -> Int32 {
        try c.table(1)
        let o = try c.options(2)
        let norm = try o.choice("norm", ["raw", "per_param"]) ?? "raw"
        let (b, seed) = try resampleOptions(c, o)
        let seeds = try o.boolean("seeds") ?? true, samples = try o.boolean("samples") ?? true
        try o.finish()
        let n = c.rawLength(1)
        guard n <= 1_000_000 else { throw c.argError(1, "at most 1000000 runs, got \(n)") }
        var runs: [RunSamples] = []
        for k in 0..<n {
            lua_rawgeti(c.L, 1, lua_Integer(k + 1))
            defer { c.state.pop() }
            runs.append(try run(c, at: lua_gettop(c.L), index: k + 1, norm: norm))
        }
        let draws = try Resampling.meanRho(runs, resamples: b, seed: seed, seeds: seeds, samples: samples, shouldStop: ScoringBinding.stop)
        c.state.pushNumberList(draws.compactMap { $0 })
        return 1
    }

    /// p, hits, resamples of a test (nil when the test is undefined).
    static func pushP(_ c: LuaCall, _ p: PValue?) -> Int32 {
        guard let p else { c.state.pushNil(); return 1 }
        c.state.push(p.value); c.state.push(p.hits); c.state.push(p.resamples)
        return 3
    }

    static func finiteList(_ c: LuaCall, _ i: Int32) throws -> [Double] {
        try c.table(i)
        let x = StatsBinding.numberList(c, i)
        if x.contains(where: { !$0.isFinite }) { throw c.argError(i, "finite numbers expected, NaN, inf or a non-number found") }
        return x
    }

    /// gcgap.stats.permutation_test(a, b [, {resamples =, seed =}]) -> p, hits, resamples
    static func permutationTest(_ c: LuaCall) throws -> Int32 {
        let a = try finiteList(c, 1), b = try finiteList(c, 2)
        let o = try c.options(3)
        let (n, seed) = try resampleOptions(c, o)
        try o.finish()
        return pushP(c, try Resampling.permutation(a, b, resamples: n, seed: seed, shouldStop: ScoringBinding.stop))
    }

    /// gcgap.stats.sign_flip(d [, {resamples =, seed =}]) -> p, hits, resamples
    static func signFlip(_ c: LuaCall) throws -> Int32 {
        let d = try finiteList(c, 1)
        let o = try c.options(2)
        let (n, seed) = try resampleOptions(c, o)
        try o.finish()
        return pushP(c, try Resampling.signFlip(d, resamples: n, seed: seed, shouldStop: ScoringBinding.stop))
    }

    static let functions: [(String, LuaFunction)] = [
        ("mean_rho", meanRho), ("permutation_test", permutationTest), ("sign_flip", signFlip),
    ]
}
