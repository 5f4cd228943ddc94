import CLua
import CLuaShim
import GCCore

/// The one reader of component names from Lua: a name or a list of names, each resolved to
/// its canonical component (so `L00.H0` and `blocks.0.attn.hook_result[0]` are `L0.H0`),
/// refused when named twice, checked against the model, bounded before anything is kept.
extension LuaCall {
    /// The most names one list may hold.
    static let maxNames = 10_000

    /// Where a list is read from, for its error messages: an argument, or an option of the
    /// options table at argument `index`.
    struct ListSource {
        var index: Int32
        var option: String?
        /// The entry of an outer list this list is (score.ablations' lists).
        var entry: Int? = nil
        func prefix(_ detail: String) -> String {
            (option.map { "option '\($0)': " } ?? "") + (entry.map { "entry \($0): " } ?? "") + detail
        }
    }

    /// The strings of the sequence at stack slot `at` (a table), at most `limit` of them.
    func strings(at: Int32, _ src: ListSource, limit: Int = LuaCall.maxNames, what: String = "string") throws -> [String] {
        guard lua_type(L, at) == LUA_TTABLE else {
            throw argError(src.index, src.prefix("list expected, got \(state.typeName(at: at))"))
        }
        let t = lua_absindex(L, at), n = rawLength(t)
        guard n <= limit else { throw argError(src.index, src.prefix("at most \(limit) names, got \(n)")) }
        var out: [String] = []
        for k in 1...max(1, n) where k <= n {
            lua_rawgeti(L, t, lua_Integer(k))
            defer { state.pop() }
            guard lua_type(L, -1) == LUA_TSTRING, let s = state.string(at: -1) else {
                throw argError(src.index, src.prefix("\(what) expected at index \(k), got \(state.typeName(at: -1))"))
            }
            out.append(s)
        }
        return out
    }

    /// The strings of an option's list value at `at` (see `strings(at:_:limit:)`).
    func optionList(_ at: Int32, _ i: Int32, _ option: String, limit: Int = LuaCall.maxNames,
                    what: String = "string") throws -> [String] {
        try strings(at: at, ListSource(index: i, option: option), limit: limit, what: what)
    }

    /// Components named at stack slot `at`: one name (when `single`), or a list of names.
    /// `scored`: heads and MLPs only. Duplicates (after aliases) are refused.
    func components(at: Int32, _ src: ListSource, model m: Transformer?, scored: Bool = false,
                    single: Bool = false, nonEmpty: Bool = false) throws -> [Component] {
        let names: [String]
        if single && lua_type(L, at) == LUA_TSTRING { names = [state.string(at: at)!] } else {
            names = try strings(at: at, src, what: "component name")
        }
        var out: [Component] = [], seen: [Component: String] = [:]
        for (k, name) in names.enumerated() {
            let comp = try resolveName(name, at: k + 1, names.count, src, model: m, scored: scored)
            if let first = seen[comp] {
                throw argError(src.index, src.prefix("\(comp) is named twice ('\(first)' and '\(name)')"))
            }
            seen[comp] = name
            out.append(comp)
        }
        if nonEmpty && out.isEmpty { throw argError(src.index, src.prefix("at least one component expected")) }
        return out
    }

    private func resolveName(_ name: String, at k: Int, _ n: Int, _ src: ListSource, model m: Transformer?,
                             scored: Bool) throws -> Component {
        let whereIs = n > 1 ? " at index \(k)" : ""
        guard let comp = Component(name) else { throw argError(src.index, src.prefix("unknown component '\(name)'\(whereIs)")) }
        if scored && !comp.isScoredComponent {
            throw argError(src.index, src.prefix("a head or MLP name expected\(whereIs), got '\(name)'"))
        }
        if let m { try arg(src.index, option: src.option) { try m.checkComponent(comp) } }
        return comp
    }

    /// The components of option `key` of `o` (nil when absent).
    func components(_ o: LuaOptions, _ key: String, model m: Transformer?, scored: Bool = false,
                    single: Bool = false, nonEmpty: Bool = false) throws -> [Component]? {
        defer { state.pop() }
        guard o.push(key) != LUA_TNIL else { return nil }
        return try components(at: lua_gettop(L), ListSource(index: o.index, option: key), model: m, scored: scored,
                              single: single, nonEmpty: nonEmpty)
    }
}

extension LuaCall {
    /// The strings of option `key` of `o` (nil when absent).
    func stringListOption(_ o: LuaOptions, _ key: String, limit: Int = LuaCall.maxNames) throws -> [String]? {
        defer { state.pop() }
        guard o.push(key) != LUA_TNIL else { return nil }
        return try optionList(lua_gettop(L), o.index, key, limit: limit)
    }
}
