import CLua
import CLuaShim
import GCCore

/// The protocol's default numbers, read from their one home: the default preset of the Lua
/// module `gcgap.protocol` (stdlib/gcgap/protocol.lua), as loaded in the calling state
/// (`package.loaded["gcgap.protocol"].presets.default`, read raw: no Lua code runs). The
/// native functions hold no protocol number of their own; without the module loaded, an
/// option left out is an error naming it.
enum ProtocolDefaults {
    /// Pushes the default preset's field at `path` (e.g. "ood.lengths"); returns its type.
    /// Pushes nil when the module, the preset or the field is missing.
    static func push(_ c: LuaCall, _ path: String) -> Int32 {
        c.state.pushGlobals()
        for key in ["package", "loaded", "gcgap.protocol", "presets", "default"] + path.split(separator: ".").map(String.init) {
            guard lua_type(c.L, -1) == LUA_TTABLE else { c.state.pop(); lua_pushnil(c.L); return LUA_TNIL }
            _ = c.state.rawField(-1, key)
            gcshim_remove(c.L, -2)
        }
        return lua_type(c.L, -1)
    }

    private static func missing(_ c: LuaCall, _ path: String, _ option: String, _ i: Int32, _ what: String) -> LuaError {
        c.argError(i, "option '\(option)': \(what) expected; the protocol's default (gcgap.protocol: \(path)) is not loaded or not valid")
    }

    static func number(_ c: LuaCall, _ path: String, option: String, blame i: Int32) throws -> Double {
        defer { c.state.pop() }
        guard push(c, path) == LUA_TNUMBER else { throw missing(c, path, option, i, "number") }
        return lua_tonumberx(c.L, -1, nil)
    }

    static func integer(_ c: LuaCall, _ path: String, option: String, blame i: Int32) throws -> Int {
        defer { c.state.pop() }
        var ok: Int32 = 0
        let v = push(c, path) == LUA_TNUMBER ? lua_tointegerx(c.L, -1, &ok) : 0
        guard ok != 0 else { throw missing(c, path, option, i, "integer") }
        return Int(v)
    }

    static func boolean(_ c: LuaCall, _ path: String, option: String, blame i: Int32) throws -> Bool {
        defer { c.state.pop() }
        guard push(c, path) == LUA_TBOOLEAN else { throw missing(c, path, option, i, "boolean") }
        return lua_toboolean(c.L, -1) != 0
    }

    static func choice(_ c: LuaCall, _ path: String, _ names: [String], option: String, blame i: Int32) throws -> String {
        defer { c.state.pop() }
        guard push(c, path) == LUA_TSTRING, let s = c.state.string(at: -1), names.contains(s) else {
            throw missing(c, path, option, i, names.joined(separator: " | "))
        }
        return s
    }

    /// A list of integers (e.g. the OOD lengths).
    static func integers(_ c: LuaCall, _ path: String, option: String, blame i: Int32) throws -> [Int] {
        defer { c.state.pop() }
        guard push(c, path) == LUA_TTABLE else { throw missing(c, path, option, i, "list of integers") }
        let t = lua_gettop(c.L), n = c.rawLength(t)
        return try (0..<min(n, 4096)).map { k in
            lua_rawgeti(c.L, t, lua_Integer(k + 1)); defer { c.state.pop() }
            var ok: Int32 = 0
            let v = lua_tointegerx(c.L, -1, &ok)
            guard ok != 0 else { throw missing(c, path, option, i, "list of integers") }
            return Int(v)
        }
    }

    /// A {lo, hi} pair of numbers.
    static func pair(_ c: LuaCall, _ path: String, option: String, blame i: Int32) throws -> (Double, Double) {
        defer { c.state.pop() }
        guard push(c, path) == LUA_TTABLE else { throw missing(c, path, option, i, "{lo, hi}") }
        lua_rawgeti(c.L, -1, 1); lua_rawgeti(c.L, -2, 2)
        defer { c.state.pop(2) }
        guard lua_type(c.L, -2) == LUA_TNUMBER, lua_type(c.L, -1) == LUA_TNUMBER else { throw missing(c, path, option, i, "{lo, hi}") }
        return (lua_tonumberx(c.L, -2, nil), lua_tonumberx(c.L, -1, nil))
    }
}
