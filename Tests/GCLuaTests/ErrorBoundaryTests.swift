import CLua
import CLuaShim
import Foundation
import Testing
@testable import GCLua
import GCCore

/// Counts live instances, to prove that failing calls free what their frames held.
final class Canary {
    nonisolated(unsafe) static var alive = 0
    let payload = [Float](repeating: 1, count: 10_000) // 40 KB, so a leak would show in memory too
    init() { Canary.alive += 1 }
    deinit { Canary.alive -= 1 }
}

@Suite("The error boundary", .serialized)
struct ErrorBoundaryTests {
    /// A Swift function that fails with Swift objects alive in its frame raises a catchable
    /// Lua error, and 5000 such calls leave no object behind and no crash.
    @Test func failingCallsRaiseCatchableErrorsAndLeakNothing() throws {
        let lua = try LuaState()
        lua.pushFunction("explode") { c in
            let a = Canary(), b = [Canary(), Canary()]
            let n = try c.integer(1)
            _ = (a, b)
            throw LuaError("exploded with \(n)")
        }
        lua.setGlobal("explode")
        let before = Canary.alive
        let out = try lua.evaluate("""
            local ok, msg
            for i = 1, 5000 do ok, msg = pcall(function() explode(i) end) end
            local ok2, msg2 = pcall(explode, 7)
            return ok, msg, ok2, msg2
            """, name: "=test")
        // as with luaL_error, the position is the Lua caller's (none when pcall calls it directly)
        #expect(out == ["false", "test:2: exploded with 5000", "false", "exploded with 7"])
        #expect(Canary.alive == before)
    }

    /// A type error inside the Swift frame (before the body throws) also frees everything.
    @Test func argumentErrorsFollowLauxlib() throws {
        let lua = try LuaState()
        lua.pushFunction("train") { c in
            let keep = Canary()
            _ = keep
            try c.table(2)
            return 0
        }
        lua.setGlobal("train")
        let before = Canary.alive
        let out = try lua.evaluate("return select(2, pcall(train, 1))", name: "=t")
        #expect(out == ["bad argument #2 to 'train' (table expected, got no value)"])
        let out2 = try lua.evaluate("return select(2, pcall(function() train(1, nil) end))", name: "=t")
        #expect(out2 == ["t:1: bad argument #2 to 'train' (table expected, got nil)"])
        #expect(Canary.alive == before)
    }

    /// Methods number their arguments without self, as lauxlib does.
    @Test func methodArgumentsAreNumberedWithoutSelf() throws {
        let lua = try LuaState()
        GCGapModule.install(lua)
        let out = try lua.evaluate("""
            local gc = require "gcgap.core"
            local t = gc.tensor{1, 2}
            local _, a = pcall(function() return t:matmul("x") end)
            local _, b = pcall(function() return t.matmul(42, t) end)
            return a, b
            """, name: "=t")
        #expect(out == ["t:3: bad argument #1 to 'matmul' (tensor expected, got string)",
                        "t:4: calling 'matmul' on bad self (tensor expected, got number)"])
    }

    /// Errors raised by Lua code that Swift calls back (a Lua function inside a native
    /// loop) come back as the same message, and the loop's objects are freed.
    @Test func errorsFromLuaCallbacksPropagate() throws {
        let lua = try LuaState()
        GCGapModule.install(lua)
        let out = try lua.evaluate("""
            local gc = require "gcgap.core"
            local t = gc.tensor{1, 2, 3}
            local ok, msg = pcall(t.map, t, function(x) if x > 2 then error("too big: " .. x) end return x end)
            return ok, msg
            """, name: "=t")
        #expect(out == ["false", "t:3: too big: 3.0"])
    }

    /// Userdata hold their Swift objects until Lua collects them, then release them.
    @Test func userdataAreReleasedByTheCollector() throws {
        let lua = try LuaState()
        let type = UserdataType<Canary>("test.canary", display: "canary")
        lua.registerType(type, methods: [("alive", { c in _ = try c.object(1, type); c.state.push(Canary.alive); return 1 })])
        lua.pushFunction("canary") { c in c.state.pushObject(Canary(), type); return 1 }
        lua.setGlobal("canary")
        let before = Canary.alive
        _ = try lua.evaluate("local t = {} for i = 1, 100 do t[i] = canary() end return t[1]:alive()")
        _ = try lua.evaluate("collectgarbage() collectgarbage()")
        #expect(Canary.alive == before)
    }

    /// Closing a state releases everything it held, even objects only Lua referenced.
    @Test func closingTheStateReleasesUserdata() throws {
        let before = Canary.alive
        do {
            let lua = try LuaState()
            let type = UserdataType<Canary>("test.canary2", display: "canary")
            lua.registerType(type, methods: [])
            lua.pushFunction("canary") { c in c.state.pushObject(Canary(), type); return 1 }
            lua.setGlobal("canary")
            _ = try lua.evaluate("keep = {} for i = 1, 10 do keep[i] = canary() end")
            #expect(Canary.alive == before + 10)
        }
        #expect(Canary.alive == before)
    }

    /// Unknown option keys are named, with a suggestion.
    @Test func unknownOptionsAreReported() throws {
        let lua = try LuaState()
        GCGapModule.install(lua)
        let out = try lua.evaluate("return select(2, pcall(require('gcgap.core').model, {n_layer = 2}))", name: "=t")
        #expect(out.first?.contains("unknown option 'n_layer' (did you mean 'n_layers'?)") == true)
    }
}
