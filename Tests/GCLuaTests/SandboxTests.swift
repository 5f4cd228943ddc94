import Foundation
import Testing
@testable import GCLua

/// gcgap.sandbox(code, opts): a chunk in a fresh sandboxed state, its plain results copied out.
@Suite("gcgap.sandbox")
struct SandboxTests {
    let lua: LuaState
    let dir: String

    init() throws {
        lua = try gcgapState()
        GCGapModule.stdlib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("stdlib").path
        dir = try temporaryFolder()
        try lua.run("dir = '\(dir)'")
    }

    @Test func plainResultsComeBack() throws {
        let out = try lua.evaluate("""
            local a, t, s = gc.sandbox("return 1 + 1, {x = {1, 2}, y = true}, 'ok'", {dir = dir .. '/box'})
            return a, t.x[2], t.y, s
            """)
        #expect(out == ["2", "2", "true", "ok"])
    }

    /// A result nested to the limit, with a table as key and value at every level, is copied
    /// with stack room asked for at each level (it was assumed: about 64 slots where Lua
    /// promises 20; AddressSanitizer watches this test).
    @Test func deepResultsAreCopiedWithRoomAskedFor() throws {
        let out = try lua.evaluate("""
            local code = "local t = {} local c = t for i = 1, 15 do local k = {i} c[k] = {} c.next = c[k] c = c[k] end return t"
            local t = gc.sandbox(code, {dir = dir .. '/deep'})
            local d, keys = 0, 0
            while t.next do
              for k in pairs(t) do if type(k) == "table" then keys = keys + k[1] end end
              d = d + 1; t = t.next
            end
            return d, keys
            """)
        #expect(out == ["15", "120"])
    }

    @Test(arguments: [
        ("return print", "a function cannot leave the sandbox"),
        ("local t = {}; t.t = t; return t", "nested deeper"),
        ("return os.execute('true')", "attempt to call a nil value"),
        ("return gcgap.read_file('/etc/passwd')", "refused by the sandbox"),
        ("return gcgap.write_file('/tmp/gcgap-escape', 'x')", "refused by the sandbox"),
        ("while true do end", "time limit exceeded"),
        ("local s = string.rep('x', 2^28)", "not enough memory"),
        ("return debug.getinfo(1)", "attempt to index a nil value"),
    ])
    func escapesAndLimitsAreErrors(code: String, message: String) {
        let msg = luaError(lua, "gc.sandbox([==[\(code)]==], {dir = dir .. '/box', limit_time = 0.5, limit_mem = 2^26})")
        #expect(msg?.contains(message) == true, "\(code): \(msg ?? "no error")")
    }

    /// A limit trips inside the sandbox only: the state that called it goes on.
    @Test func theCallerIsNotLimited() throws {
        _ = luaError(lua, "gc.sandbox('while true do end', {dir = dir .. '/box', limit_time = 0.2})")
        let out = try lua.evaluate("local x = 0; for i = 1, 3e6 do x = x + i end; return x, gc.zeros(2):sum(), os.execute ~= nil")
        #expect(out == ["4500001500000", "0.0", "true"])
    }

    @Test func optionsAreChecked() {
        #expect(luaError(lua, "gc.sandbox('return 1')")?.contains("option 'dir' is required") == true)
        #expect(luaError(lua, "gc.sandbox('return 1', {dir = dir, read = {dir .. '/missing'}})")?.contains("no such file") == true)
        #expect(luaError(lua, "gc.sandbox('return 1', {dir = dir, limit_time = -1})")?.contains("positive number") == true)
    }

    /// Binary chunks are refused in a state that refuses them (the host's default).
    @Test func binaryChunksAreRefused() throws {
        try lua.refuseBinaryChunks()
        let out = try lua.evaluate("""
            local f, err = load(string.dump(function() return 1 end))
            local g, err2 = load("return 1", "t", "b")
            return f, err, g, load("return 5")()
            """)
        #expect(out[0] == "nil" && out[1].contains("binary chunks are refused") && out[2] == "nil" && out[3] == "5")
    }
}
