import CLua
import CLuaShim
import GCCore

/// The arguments of one call from Lua, with checks whose messages follow lauxlib:
/// `bad argument #2 to 'train' (table expected, got nil)`. For methods (`obj:name(...)`)
/// arguments are numbered without `self`, and a bad `self` is reported as
/// `calling 'name' on bad self`.
public struct LuaCall {
    public let L: LuaStatePointer
    public let name: String
    public let isMethod: Bool
    public let state: LuaState

    /// Number of arguments passed.
    public var count: Int32 { lua_gettop(L) }

    /// The lauxlib-style error for argument `i` (a stack index).
    public func argError(_ i: Int32, _ extra: String) -> LuaError {
        if isMethod {
            if i == 1 { return LuaError("calling '\(name)' on bad self (\(extra))") }
            return LuaError("bad argument #\(i - 1) to '\(name)' (\(extra))")
        }
        return LuaError("bad argument #\(i) to '\(name)' (\(extra))")
    }

    /// Runs `body`, turning a `GCError` (a core function's complaint) into the lauxlib-style
    /// error for argument `i`: the one way a binding blames an argument for a core error.
    public func arg<R>(_ i: Int32, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as GCError where e != .interrupted { throw argError(i, e.message) }
    }

    /// As `arg(_:_:)`, naming the option of the options table at `i` the error is about.
    public func arg<R>(_ i: Int32, option: String?, _ body: () throws -> R) throws -> R {
        guard let option else { return try arg(i, body) }
        do { return try body() } catch let e as GCError where e != .interrupted { throw argError(i, "option '\(option)': \(e.message)") }
    }

    public func typeError(_ i: Int32, _ expected: String) -> LuaError {
        argError(i, "\(expected) expected, got \(lua_type(L, i) == LUA_TNONE ? "no value" : state.typeName(at: i))")
    }

    public func isNoneOrNil(_ i: Int32) -> Bool { lua_type(L, i) <= LUA_TNIL }
    public func type(_ i: Int32) -> Int32 { lua_type(L, i) }

    // MARK: Scalars

    public func number(_ i: Int32) throws -> Double {
        guard lua_type(L, i) == LUA_TNUMBER else { throw typeError(i, "number") }
        return lua_tonumberx(L, i, nil)
    }

    public func optionalNumber(_ i: Int32) throws -> Double? { isNoneOrNil(i) ? nil : try number(i) }

    /// A finite number (NaN and infinities are refused).
    public func finite(_ i: Int32) throws -> Double {
        let v = try number(i)
        guard v.isFinite else { throw argError(i, "finite number expected, got \(v)") }
        return v
    }

    public func integer(_ i: Int32) throws -> Int {
        guard lua_type(L, i) == LUA_TNUMBER else { throw typeError(i, "number") }
        var ok: Int32 = 0
        let v = lua_tointegerx(L, i, &ok)
        guard ok != 0 else { throw argError(i, "number has no integer representation") }
        return Int(v)
    }

    public func optionalInteger(_ i: Int32) throws -> Int? { isNoneOrNil(i) ? nil : try integer(i) }

    public func string(_ i: Int32) throws -> String {
        guard let s = state.string(at: i) else {
            if lua_type(L, i) == LUA_TNUMBER { return state.describe(at: i) }
            throw typeError(i, "string")
        }
        return s
    }

    public func optionalString(_ i: Int32) throws -> String? { isNoneOrNil(i) ? nil : try string(i) }

    /// A file path: the string's exact bytes (not necessarily UTF-8), no NUL byte, allowed
    /// for `access` by the state's sandbox (`LuaState.filePolicy`), if it has one.
    public func path(_ i: Int32, _ access: FileAccess) throws -> FilePath {
        guard lua_type(L, i) == LUA_TSTRING else { throw typeError(i, "string") }
        var len = 0
        guard let p = lua_tolstring(L, i, &len) else { throw typeError(i, "string") }
        let bytes = Array(UnsafeRawBufferPointer(start: p, count: len))
        return try arg(i) {
            let path = try FilePath(bytes: bytes)
            try state.filePolicy?.check(path, access)
            return path
        }
    }

    /// The exact bytes of a string argument.
    public func bytes(_ i: Int32) throws -> UnsafeRawBufferPointer {
        guard lua_type(L, i) == LUA_TSTRING else { throw typeError(i, "string") }
        var len = 0
        guard let p = lua_tolstring(L, i, &len) else { throw typeError(i, "string") }
        return UnsafeRawBufferPointer(start: p, count: len)
    }

    public func boolean(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }

    public func table(_ i: Int32) throws {
        guard lua_type(L, i) == LUA_TTABLE else { throw typeError(i, "table") }
    }

    public func function(_ i: Int32) throws {
        guard lua_type(L, i) == LUA_TFUNCTION else { throw typeError(i, "function") }
    }

    /// One of a fixed set of strings.
    public func choice(_ i: Int32, _ options: [String], default d: String? = nil) throws -> String {
        if isNoneOrNil(i), let d = d { return d }
        let s = try string(i)
        guard options.contains(s) else {
            throw argError(i, "invalid option '\(s)' (expected " + options.map { "'\($0)'" }.joined(separator: ", ") + ")")
        }
        return s
    }

    // MARK: Userdata

    /// The Swift object in the userdata at `i`, which must be of `type` (a registered class).
    /// A finalized one (its `__gc` called by hand) is an error of its own.
    public func object<T: AnyObject>(_ i: Int32, _ type: UserdataType<T>) throws -> T {
        switch state.lookup(at: i, type) {
        case .object(let o): return o
        case .freed: throw argError(i, "\(type.displayName) already freed (its __gc metamethod was called)")
        case .other: throw typeError(i, type.displayName)
        }
    }

    public func optionalObject<T: AnyObject>(_ i: Int32, _ type: UserdataType<T>) throws -> T? {
        isNoneOrNil(i) ? nil : try object(i, type)
    }

    // MARK: Tables

    /// The length of the sequence at `i` (raw, no __len).
    public func rawLength(_ i: Int32) -> Int { Int(lua_rawlen(L, i)) }

    /// Reads an options table at `i` (nil or none gives an empty one).
    public func options(_ i: Int32) throws -> LuaOptions {
        if isNoneOrNil(i) { return LuaOptions(call: self, index: 0) }
        try table(i)
        return LuaOptions(call: self, index: lua_absindex(L, i))
    }

    /// A list of integers (a sequence table) at `i`.
    public func integerList(_ i: Int32) throws -> [Int] {
        try table(i)
        let t = lua_absindex(L, i)
        var out: [Int] = []
        for k in 0..<rawLength(t) {
            lua_rawgeti(L, t, lua_Integer(k + 1))
            var ok: Int32 = 0
            let v = lua_tointegerx(L, -1, &ok)
            state.pop()
            guard ok != 0 else { throw argError(i, "integer expected at index \(k + 1)") }
            out.append(Int(v))
        }
        return out
    }

    /// A list of strings (a sequence table) at `i`.
    public func stringList(_ i: Int32) throws -> [String] {
        try table(i)
        let t = lua_absindex(L, i)
        var out: [String] = []
        for k in 1...max(1, rawLength(t)) where k <= rawLength(t) {
            lua_rawgeti(L, t, lua_Integer(k))
            defer { state.pop() }
            guard let s = state.string(at: -1) else {
                throw argError(i, "string expected at index \(k), got \(state.typeName(at: -1))")
            }
            out.append(s)
        }
        return out
    }
}

/// An options table such as `{steps = 100, lr = 1e-3}`: typed, raw reads, and a check
/// that names any key the function does not know (a typo would otherwise be silently
/// ignored).
public final class LuaOptions {
    let call: LuaCall
    /// The options table's stack slot (0: none was given).
    let index: Int32
    private var known: Set<String> = []

    init(call: LuaCall, index: Int32) { self.call = call; self.index = index }

    var L: LuaStatePointer { call.L }

    /// Pushes opts[key] and returns its type (nil when there is no table).
    private func get(_ key: String) -> Int32 {
        known.insert(key)
        if index == 0 { lua_pushnil(L); return LUA_TNIL }
        return call.state.rawField(index, key)
    }

    private func bad(_ key: String, _ what: String) -> LuaError {
        call.argError(index, "option '\(key)': \(what)")
    }

    public func has(_ key: String) -> Bool {
        let t = get(key)
        call.state.pop()
        return t != LUA_TNIL
    }

    public func number(_ key: String) throws -> Double? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TNUMBER else { throw bad(key, "number expected, got \(call.state.typeName(at: -1))") }
        let v = lua_tonumberx(L, -1, nil)
        guard v.isFinite else { throw bad(key, "finite number expected, got \(v)") }
        return v
    }

    public func integer(_ key: String) throws -> Int? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TNUMBER else { throw bad(key, "integer expected, got \(call.state.typeName(at: -1))") }
        var ok: Int32 = 0
        let v = lua_tointegerx(L, -1, &ok)
        guard ok != 0 else { throw bad(key, "integer expected, got \(lua_tonumberx(L, -1, nil))") }
        return Int(v)
    }

    public func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = try integer(key) else { return nil }
        guard range.contains(v) else { throw bad(key, "must be in \(range.lowerBound)..\(range.upperBound), got \(v)") }
        return v
    }

    public func string(_ key: String) throws -> String? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        guard let s = call.state.string(at: -1) else { throw bad(key, "string expected, got \(call.state.typeName(at: -1))") }
        return s
    }

    public func choice(_ key: String, _ options: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard options.contains(s) else {
            throw bad(key, "invalid value '\(s)' (expected " + options.map { "'\($0)'" }.joined(separator: ", ") + ")")
        }
        return s
    }

    public func boolean(_ key: String) throws -> Bool? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TBOOLEAN else { throw bad(key, "boolean expected, got \(call.state.typeName(at: -1))") }
        return lua_toboolean(L, -1) != 0
    }

    /// A number or a {lo, hi} pair of integers.
    public func range(_ key: String) throws -> ClosedRange<Int>? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        if t == LUA_TNUMBER {
            var ok: Int32 = 0
            let v = lua_tointegerx(L, -1, &ok)
            guard ok != 0 else { throw bad(key, "integer or {lo, hi} expected") }
            return Int(v)...Int(v)
        }
        guard t == LUA_TTABLE, lua_rawlen(L, -1) == 2 else { throw bad(key, "integer or {lo, hi} expected") }
        var ends: [Int] = []
        for k in 1...2 {
            lua_rawgeti(L, -1, lua_Integer(k))
            var ok: Int32 = 0
            let v = lua_tointegerx(L, -1, &ok)
            call.state.pop()
            guard ok != 0 else { throw bad(key, "integer or {lo, hi} expected") }
            ends.append(Int(v))
        }
        guard ends[0] <= ends[1] else { throw bad(key, "{lo, hi} needs lo <= hi, got {\(ends[0]), \(ends[1])}") }
        return ends[0]...ends[1]
    }

    /// A {lo, hi} pair of finite numbers, or nil when absent.
    public func numberPair(_ key: String) throws -> (Double, Double)? {
        let t = get(key)
        defer { call.state.pop() }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TTABLE else { throw bad(key, "{lo, hi} expected, got \(call.state.typeName(at: -1))") }
        lua_rawgeti(L, -1, 1); lua_rawgeti(L, -2, 2)
        defer { call.state.pop(2) }
        guard lua_type(L, -2) == LUA_TNUMBER, lua_type(L, -1) == LUA_TNUMBER else { throw bad(key, "{lo, hi} expected") }
        let lo = lua_tonumberx(L, -2, nil), hi = lua_tonumberx(L, -1, nil)
        guard lo.isFinite, hi.isFinite else { throw bad(key, "finite {lo, hi} expected") }
        return (lo, hi)
    }

    /// A sample length or {lo, hi} range of them, each in 1..`Limits.maxLength`.
    public func lengths(_ key: String) throws -> ClosedRange<Int>? {
        guard let r = try range(key) else { return nil }
        guard r.lowerBound >= 1, r.upperBound <= Limits.maxLength else {
            throw bad(key, "lengths must be in 1..\(Limits.maxLength), got \(r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "{\(r.lowerBound), \(r.upperBound)}")")
        }
        return r
    }

    /// Checks that `samples` samples of lengths up to `length` fit `Limits.maxTokens`,
    /// blaming option `key`.
    public func checkSamples(_ samples: Int, length: Int, _ key: String) throws {
        do { try Limits.checkSamples(samples, length: length) } catch let e as GCError { throw bad(key, e.message) }
    }

    /// Pushes the raw value of `key` (for callers that read tables or functions themselves).
    /// Returns its type; the caller pops it.
    public func push(_ key: String) -> Int32 { get(key) }

    /// Throws when the table has a string key that was never asked for.
    public func finish() throws {
        guard index != 0 else { return }
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            call.state.pop() // value
            guard lua_type(L, -1) == LUA_TSTRING else {
                // {1, 2, 3} or {[true] = 1}: options are named, and a stray value means a mistake
                let key = call.state.describe(at: -1)
                call.state.pop()
                throw call.argError(index, "options are named (e.g. {\(known.sorted().first ?? "name") = ...}), got a value at key \(key)")
            }
            if let k = call.state.string(at: -1), !known.contains(k) {
                call.state.pop()
                let close = known.sorted().min { editDistance($0, k) < editDistance($1, k) }
                let hint = close.map { editDistance($0, k) <= 2 ? " (did you mean '\($0)'?)" : "" } ?? ""
                throw call.argError(index, "unknown option '\(k)'\(hint); known: " + known.sorted().joined(separator: ", "))
            }
        }
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var prev = Array(0...b.count)
    for i in 1...max(1, a.count) where i <= a.count {
        var cur = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...max(1, b.count) where j <= b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
