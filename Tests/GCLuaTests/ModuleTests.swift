import Foundation
import Testing
@testable import GCLua
import GCCore

@Suite("gcgap.core from Lua")
struct ModuleTests {
    @Test func tensorsFromTablesAndBack() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local t = gc.tensor{{1, 2, 3}, {4, 5, 6}}
            local u = (t * 2 + 1):matmul(gc.tensor{{1}, {0}, {-1}})
            return table.concat(t:shape(), "x"), t[2][3], #t, t:sum(), t:mean(), u[1][1], u[2][1],
                   gc.tensor{3, 4}:norm(), t:t():shape()[1], t:reshape(3, 2)[3][2], t:argmax(), (-t):min()
            """)
        #expect(out == ["2x3", "6.0", "2", "21.0", "3.5", "-4.0", "-4.0", "5.0", "3", "6.0", "6", "-6.0"])
    }

    @Test func tensorShapeErrorsAreLuaErrors() throws {
        let lua = try gcgapState()
        #expect(luaError(lua, "return gc.tensor{1, 2} + gc.tensor{1, 2, 3}")?.contains("shapes [2] and [3] do not match for '+'") == true)
        #expect(luaError(lua, "return gc.tensor{{1, 2}, {3}}")?.contains("ragged table") == true)
        #expect(luaError(lua, "return gc.tensor{1, 'x'}")?.contains("number expected at [2], got string") == true)
        #expect(luaError(lua, "return gc.tensor{1, 2}[3]")?.contains("tensor index 3 out of range (1..2)") == true)
        #expect(luaError(lua, "return gc.tensor{1, 2}:reshape(3)")?.contains("cannot reshape") == true)
    }

    /// Inputs that could trap in Swift (a wrong self, huge or NaN sizes) are Lua errors.
    @Test func hostileInputsAreErrorsNotCrashes() throws {
        let lua = try gcgapState()
        #expect(luaError(lua, "return gc.task.reverse().sample(42, {{1, 2}})")?.contains("calling 'sample' on bad self (task expected, got number)") == true)
        #expect(luaError(lua, "return gc.zeros{0/0}")?.contains("bad argument #1 to 'zeros' (integer expected at index 1)") == true)
        #expect(luaError(lua, "return gc.zeros{1e12}")?.contains("non-negative integers expected") == true)
        #expect(luaError(lua, "return gc.zeros{100000, 100000}")?.contains("too large") == true)
        #expect(luaError(lua, "return gc.model{d_model = 16384, d_vocab = 1000000}")?.contains("beyond gcgap's limit") == true)
        #expect(luaError(lua, "return gc.task.new{target = function(x) return x end, values = {1, 1e10}}")?.contains("token values must be in") == true)
        #expect(luaError(lua, "local m = gc.model{seed = 1}; return m:train(gc.task.reverse(), {steps = 1, lr = 0/0})")?.contains("finite number expected") == true)
    }

    @Test func batchesFollowTheProtocolLayout() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local b = gc.batch{{101, 5, 9, 2, 102, 2, 9, 5, 103}, {101, 7, 1, 102, 1, 7, 103}}
            local m = gc.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 3}
            local l = m:logits(b)
            return b:size(), b:targets(), table.concat(l:shape(), "x"), l[2][7][1] == l[2][7][1]
            """)
        // 4 + 3 targets; logits for every read position (8 = longest row minus END), padded
        #expect(out == ["2", "7", "2x8x104", "true"])
        #expect(luaError(lua, "return gc.batch{{101, 5, 9}}")?.contains("no SEP token") == true)
        #expect(luaError(lua, "local m = gc.model{seed=1}; return m:loss{{101, 500, 102, 5, 103}}")?.contains("outside the vocabulary") == true)
    }

    @Test func checkpointsRoundTripExactly() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 5, positions = "learned"}
            local b = gc.batch{{101, 5, 9, 2, 102, 2, 9, 5, 103}}
            m:save("\(dir)/m.safetensors")
            local m2 = gc.load("\(dir)/m.safetensors")
            local c = m2:config()
            return m:loss(b) == m2:loss(b), c.n_layers, c.positions, c.seed
            """)
        #expect(out == ["true", "2", "learned", "5"])
    }

    @Test func badCheckpointsAreClearErrors() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        try lua.run("gc.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 5}:save('\(dir)/ok.safetensors')")
        let good = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/ok.safetensors"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: "\(dir)/truncated.safetensors"))
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: "\(dir)/garbage.safetensors"))
        var corrupt = good
        corrupt[12] = 0x7b // damage the JSON header
        try corrupt.write(to: URL(fileURLWithPath: "\(dir)/corrupt.safetensors"))
        // a wrong shape: b_U declared as [52, 2] (same bytes), header length rewritten
        let n = Int(good.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = String(decoding: good[8..<(8 + n)], as: UTF8.self)
            .replacingOccurrences(of: "\"unembed.b_U\":{\"dtype\":\"F32\",\"shape\":[104]",
                                  with: "\"unembed.b_U\":{\"dtype\":\"F32\",\"shape\":[52,2]")
        var newLength = UInt64(header.utf8.count).littleEndian
        var reshaped = Data(bytes: &newLength, count: 8)
        reshaped.append(Data(header.utf8))
        reshaped.append(good[(8 + n)...])
        try reshaped.write(to: URL(fileURLWithPath: "\(dir)/shape.safetensors"))
        // metadata that contradicts the tensors (same length, so the header stays valid)
        var lying = good
        let field = Data("\"d_vocab\":\"104\"".utf8)
        let at = try #require(lying.range(of: field))
        lying.replaceSubrange(at, with: Data("\"d_vocab\":\"999\"".utf8))
        try lying.write(to: URL(fileURLWithPath: "\(dir)/lying.safetensors"))
        for (file, expected) in [("lying", "metadata says d_vocab = 999, the tensors say 104"), ("missing", "No such file or directory"), ("truncated", "truncated"), ("garbage", "not a valid safetensors file"),
                                 ("corrupt", "not a valid safetensors file"), ("shape", "has shape [52, 2], expected [104]")] {
            let msg = luaError(lua, "return gc.load('\(dir)/\(file).safetensors')")
            #expect(msg?.contains("bad argument #1 to 'load'") == true, "\(file): \(msg ?? "no error")")
            #expect(msg?.contains(expected) == true, "\(file): \(msg ?? "no error")")
        }
        #expect(luaError(lua, "return gc.load({})")?.contains("bad argument #1 to 'load' (string expected, got table)") == true)
    }

    @Test func luaHooksSeeAndReplaceOutputs() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 9}
            local b = gc.batch{{101, 5, 9, 2, 102, 2, 9, 5, 103}, {101, 7, 1, 102, 1, 7, 103}}
            local base = m:loss(b)
            local seen
            local h = m:hook("L1.H0", function(out, name) seen = name .. " " .. table.concat(out:shape(), "x") end)
            local observed = m:loss(b)
            h:remove()
            local z = m:hook("L0.MLP", function(out) return out * 0 end)
            local zeroed = m:loss(b)
            z:remove()
            -- observing changes nothing, bit for bit; replacing does; removing restores
            return seen, observed == base, zeroed ~= base, m:loss(b) == base
            """)
        #expect(out == ["L1.H0 2x8x16", "true", "true", "true"])
        #expect(luaError(lua, "local m = gc.model{seed=1}; m:hook('L9.H0', function() end)")?.contains("unknown component 'L9.H0'") == true)
        #expect(luaError(lua, """
            local m = gc.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 1}
            m:hook('L0.H1', function(out) return gc.tensor{1} end)
            return m:loss{{101, 5, 102, 5, 103}}
            """)?.contains("hook on L0.H1 returned shape [1], expected [1, 4, 16]") == true)
    }

    /// Zeroing an output from Lua and the native zero ablation give the same accuracy,
    /// and the same holds for a Lua-written mean ablation against the native one.
    @Test func luaAblationsEqualNativeAblations() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 2}
            m:train(gc.task.reverse(), {steps = 30, quiet = true, target = false, eval_every = 0})
            local b = gc.task.reverse():batch{size = 64, length = 5, seed = 1}
            local h = m:hook("L1.H1", function(out) return out * 0 end)
            local viaHook = m:evaluate(b)
            h:remove()
            local native = m:evaluate(b) -- unhooked
            local nativeZero = m:accuracy(b, {ablate = "L1.H1", with = "zero"})
            local means = gc.means(m, b)
            local mu = means:get("L0.MLP")
            local h2 = m:hook("L0.MLP", function(out) return out * 0 + mu end)
            local luaMean = m:evaluate(b)
            h2:remove()
            local nativeMean = m:evaluate(b, {ablate = {"L0.MLP"}, with = "mean"})
            return viaHook.accuracy == nativeZero, viaHook.loss ~= native.loss,
                   luaMean.loss == nativeMean.loss, luaMean.loss ~= native.loss
            """)
        #expect(out == ["true", "true", "true", "true"])
    }

    /// Seeds fix everything: two models from one seed train to the same bits.
    @Test func trainingIsDeterministic() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local function run()
                local m = gc.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 11}
                local r = m:train(gc.task.sort(), {steps = 20, quiet = true, target = false, eval_every = 10, eval_size = 16})
                return r.loss, m:param("blocks.0.mlp.W_out"):sum()
            end
            local l1, s1 = run()
            local l2, s2 = run()
            return l1 == l2, s1 == s2
            """)
        #expect(out == ["true", "true"])
    }

    /// A tiny model learns a tiny task (reversal of 2 or 3 digits from 1..9) in seconds:
    /// 90% exact match on its training check, and on 200 fresh samples.
    @Test func aTinyModelLearnsATinyTask() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local task = gc.task.new{name = "reverse9", values = {1, 9},
                                     target = function(x) local y = {} for i = #x, 1, -1 do y[#y + 1] = x[i] end return y end}
            local m = gc.model{n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64, seed = 4}
            local r = m:train(task, {steps = 3000, lengths = {2, 3}, batch = 32, eval_every = 100, eval_size = 128,
                                     lr = 3e-3, target = 0.97, quiet = true})
            local test = task:batch{size = 200, length = {2, 3}, seed = 99}
            return r.reached, m:accuracy(test) >= 0.9
            """)
        #expect(out == ["true", "true"])
    }
}
