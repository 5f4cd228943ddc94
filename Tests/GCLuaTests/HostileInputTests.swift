import Foundation
import Testing
@testable import GCLua

/// The defects of the hostile fuzz round (issue 19): each reproducer is a case here, and gives
/// a catchable Lua error naming the argument, or the right value.
@Suite("Hostile inputs (issue 19)")
struct HostileInputTests {
    static let tiny = RobustnessTests.tiny

    // MARK: 1. a userdata is known by the tag in its own memory

    @Test func aForeignUserdataWithAGcgapMetatableIsNoTensor() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local tensor_mt, model_mt = debug.getmetatable(gc.zeros(1)), debug.getmetatable(\(Self.tiny))
            local r = {}
            debug.setmetatable(io.stdout, tensor_mt)
            r[#r + 1] = select(2, pcall(function() return io.stdout:sum() end))
            r[#r + 1] = select(2, pcall(gc.stack, {io.stdout}))
            r[#r + 1] = select(2, pcall(function() return io.stdout + 1 end))
            debug.setmetatable(io.stdout, model_mt)
            r[#r + 1] = select(2, pcall(function() return io.stdout:logits({{101, 5, 102}}) end))
            -- a tensor dressed as a model is still a tensor, and not a model
            local z = gc.zeros(2)
            debug.setmetatable(z, model_mt)
            r[#r + 1] = select(2, pcall(function() return z:logits({{101, 5, 102}}) end))
            debug.setmetatable(z, tensor_mt)
            r[#r + 1] = tostring(z:sum())
            -- finalizers of foreign userdata wearing gcgap's metatable do nothing
            debug.setmetatable(io.stdout, tensor_mt); debug.setmetatable(io.stderr, model_mt)
            collectgarbage(); collectgarbage()
            r[#r + 1] = tostring(pcall(tensor_mt.__gc, io.stdout))
            debug.setmetatable(io.stdout, getmetatable(io.stdin)); debug.setmetatable(io.stderr, getmetatable(io.stdin))
            io.stdout:write("")
            return table.unpack(r)
            """)
        let expected = [
            "calling 'sum' on bad self (tensor expected, got foreign userdata with a gcgap metatable)",
            "bad argument #1 to 'stack' (tensor expected at index 1, got foreign userdata with a gcgap metatable)",
            "bad argument #1 to '__add' (tensor expected, got foreign userdata with a gcgap metatable)",
            "calling 'logits' on bad self (model expected, got foreign userdata with a gcgap metatable)",
            "calling 'logits' on bad self (model expected, got tensor)",
            "0.0", "true",
        ]
        #expect(out.count == expected.count, "\(out)")
        for (got, want) in zip(out, expected) { #expect(got.hasSuffix(want), "\(got)") }
    }

    @Test func aNativeFunctionChecksItsOwnBox() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local _, box = debug.getupvalue(gc.zeros, 1)
            debug.setupvalue(gc.zeros, 1, io.stdout)
            local ok, msg = pcall(gc.zeros, 2)
            debug.setupvalue(gc.zeros, 1, gc.tensor{1})
            local ok2, msg2 = pcall(gc.zeros, 2)
            debug.setupvalue(gc.zeros, 1, box)
            -- the box itself is no tensor
            debug.setmetatable(box, debug.getmetatable(gc.zeros(1)))
            local ok3, msg3 = pcall(function() return box:sum() end)
            return ok, msg, ok2, msg2, ok3, msg3, gc.zeros(2):numel()
            """)
        #expect(out == ["false", "gcgap: native function without its box (its upvalue was replaced or finalized)", "false",
                        "gcgap: native function without its box (its upvalue was replaced or finalized)", "false",
                        "(gcgap):9: calling 'sum' on bad self (tensor expected, got native function box)", "2"])
    }

    @Test func aFinalizedTensorSaysSo() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local t = gc.tensor{5}
            getmetatable(t).__gc(t)
            getmetatable(t).__gc(t)          -- twice: nothing more happens
            return select(2, pcall(t.numel, t)), select(2, pcall(gc.stack, {t})), select(2, pcall(tostring, t)), gc.is_tensor(t)
            """)
        #expect(out == ["calling 'numel' on bad self (tensor already freed (its __gc metamethod was called))",
                        "bad argument #1 to 'stack' (tensor expected at index 1, got freed tensor)",
                        "bad argument #1 to '__tostring' (tensor already freed (its __gc metamethod was called))", "false"])
    }

    // MARK: 2. ranks

    @Test func ranksAboveTheLimitAreRefusedBeforeAllocating() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        try lua.run("function ones(n) local r = {} for i = 1, n do r[i] = 1 end return r end")
        let cases: [(String, String)] = [
            ("return gc.zeros(1):reshape(ones(200)):totable()", "bad argument #1 to 'reshape' (the new shape has 200 dimensions, more than the limit of 32)"),
            ("return gc.zeros(1):reshape(table.unpack(ones(200))):totable()", "bad argument #1 to 'reshape' (the new shape has 200 dimensions"),
            ("return gc.zeros(1):reshape(ones(5000))", "5000 dimensions"),
            ("return gc.zeros(ones(33))", "bad argument #1 to 'zeros' (a shape has 33 dimensions"),
            ("return gc.ones(ones(40))", "bad argument #1 to 'ones' (a shape has 40 dimensions"),
            ("return gc.randn(ones(33))", "bad argument #1 to 'randn' (a shape has 33 dimensions"),
            ("local t = gc.zeros(ones(32)); return gc.stack{t}", "bad argument #1 to 'stack' (a shape has 33 dimensions"),
            ("local t = gc.zeros(ones(32)); return gc.stack({t, t}, 33)", "bad argument #1 to 'stack' (a shape has 33 dimensions"),
            ("return gc.tensor(deep(33))", "nested deeper than 32 levels"),
        ]
        try lua.run("function deep(n) local root = {} local t = root for _ = 1, n - 1 do local c = {}; t[1] = c; t = c end t[1] = 1 return root end")
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
        }
        // a .npy file of rank 33
        let out = try lua.evaluate("""
            local header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" .. string.rep("1, ", 33) .. "), }"
            header = header .. string.rep(' ', 63 - (10 + #header) % 64) .. '\\n'
            gc.write_file('\(dir)/r33.npy', '\\147NUMPY\\1\\0' .. string.pack('<I2', #header) .. header .. string.pack('<f', 1))
            local ok, msg = pcall(gc.load_npy, '\(dir)/r33.npy')
            -- the highest rank works everywhere, totable too
            local t = gc.tensor(deep(32))
            local flat = t:reshape(-1)
            local back = t:totable()
            local d = 0; while type(back) == 'table' do back = back[1]; d = d + 1 end
            return ok, msg, t:dim(), d, back, flat:numel(), tostring(t):match('shape=%[1, 1') ~= nil
            """)
        #expect(out == ["false", "bad argument #1 to 'load_npy' (a shape has 33 dimensions, more than the limit of 32)",
                        "32", "32", "1.0", "1", "true"])
    }

    /// Shapes are read as integers: through float32 (the old path) 16777217 became 16777216.
    @Test func shapesAreReadAsIntegers() throws {
        let lua = try gcgapState()
        #expect(try lua.evaluate("local z = gc.zeros{16777217, 0}; return z:shape()[1], gc.ones{3, 2}:numel(), gc.randn({2, 0, 9}, 1):dim()")
            == ["16777217", "6", "3"])
        #expect(luaError(lua, "return gc.zeros{2, 1.5}")?.contains("bad argument #1 to 'zeros' (integer expected at index 2)") == true)
        #expect(luaError(lua, "return gc.zeros{{2}}")?.contains("bad argument #1 to 'zeros' (integer expected at index 1)") == true)
        #expect(luaError(lua, "return gc.zeros{-1}")?.contains("shape: non-negative integers expected, got -1") == true)
    }

    // MARK: 4. .npy through gcgap.load_npy

    @Test func looseNpyFilesAreErrorsNamingTheArgument() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local function npy(header, data)
              header = header .. string.rep(' ', 63 - (10 + #header) % 64) .. '\\n'
              gc.write_file('\(dir)/x.npy', '\\147NUMPY\\1\\0' .. string.pack('<I2', #header) .. header .. data)
              local ok, v = pcall(gc.load_npy, '\(dir)/x.npy')
              return ok and table.concat(v:reshape(-1):totable(), ',') or v
            end
            local two = string.pack('<f<f', 1, 2)
            return npy("{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", two),
                   npy("{'descr': '<f4', 'fortran_order':True, 'shape': (2, 1), }", two),
                   npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", '\\2\\255'),
                   npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", '\\1\\0'),
                   npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", two),
                   npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", string.pack('<I2<I2', 0x3c00, 0xc000)),
                   npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", string.pack('<i2<i2', -3, 7))
            """)
        #expect(out == ["bad argument #1 to 'load_npy' (not a .npy file NumPy wrote (the header repeats the key 'descr'))",
                        "bad argument #1 to 'load_npy' (not a .npy file NumPy wrote (Fortran order; save a C-ordered array (np.ascontiguousarray)))",
                        "bad argument #1 to 'load_npy' (not a .npy file NumPy wrote (bool element 1 is the byte 2; a bool is 0 or 1))",
                        "1.0,0.0",
                        "bad argument #1 to 'load_npy' (not a .npy file NumPy wrote (text after the header's dict))",
                        "1.0,-2.0", "-3.0,7.0"])
    }

    // MARK: 5. labels and the NaN policy

    @Test func indexErrorsNameTheValueGiven() throws {
        let lua = try gcgapState()
        let cases: [(String, String)] = [
            ("return gc.tensor{1, 2, 3}:index(1, {math.mininteger})",
             "bad argument #2 to 'index' (index -9223372036854775808 at position 1 out of range 1..3 for dimension 1)"),
            ("return gc.tensor{1, 2, 3}:index(1, {1, 0})", "bad argument #2 to 'index' (index 0 at position 2 out of range 1..3"),
            ("return gc.tensor{1, 2, 3}:index(1, {math.maxinteger})", "index 9223372036854775807 at position 1 out of range"),
            ("return gc.zeros{2, 3}:index(2, {4})", "index 4 at position 1 out of range 1..3 for dimension 2"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
        }
        #expect(try lua.evaluate("return tostring(gc.tensor{1, 2, 3}:index(1, {3, 1, 3}))") == ["tensor([3., 1., 3.], shape=[3])"])
    }

    /// One policy for both constructors, as the API docs say: NaN and infinities are kept;
    /// a finite number float32 cannot hold is an error, not an infinity.
    @Test func bothConstructorsKeepNaNAndRefuseOverflow() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local a, b = gc.tensor(0/0), gc.tensor{0/0, 1/0, -1/0}
            return tostring(a), tostring(b), a:numel(), b[1] ~= b[1], b[2] == math.huge
            """)
        #expect(out == ["tensor(nan, shape=[])", "tensor([nan, inf, -inf], shape=[3])", "1", "true", "true"])
        #expect(luaError(lua, "return gc.tensor(1e300)")?.contains("bad argument #1 to 'tensor' (number 1e+300 is beyond float32's range") == true)
        #expect(luaError(lua, "return gc.tensor{{1, -1e39}}")?.contains("bad argument #1 to 'tensor' (number -1e+39 at [1][2] is beyond float32's range") == true)
        #expect(try lua.evaluate("return gc.tensor(3.4e38):sum() > 3e38, gc.tensor{3.4e38}[1] > 3e38") == ["true", "true"])
    }

    // MARK: tables that lie about their length, and metamethods native readers must not run

    /// A table of about 40 entries whose raw length is 2^40 (Lua's border search), or
    /// math.maxinteger: found by the second review of the logit difference. Readers that sized
    /// an array by #t aborted ("failed to allocate 8796093022240 bytes") or ran for ever.
    static let lying = """
        local function lying(k)
          local s = {"return {1, 2, 3, 4, [5] = 1"}
          for i = 3, math.min(k, 62) do s[#s + 1] = ", [" .. (1 << i) .. "] = 1" end
          if k >= 63 then s[#s + 1] = ", [math.maxinteger] = 1" end
          return load(table.concat(s) .. "}")()
        end
        """

    @Test func tablesWhoseLengthLiesAreErrors() throws {
        let lua = try gcgapState()
        try lua.run(Self.lying + "\n" + """
            L, LMAX = lying(40), lying(63)
            task = gc.task.reverse(); m = \(Self.tiny); b = task:batch{size = 2, length = 3, seed = 1}
            """)
        #expect(try lua.evaluate("return #L == 1 << 40, #LMAX == math.maxinteger") == ["true", "true"])
        // json.encode wrote 2^63 nulls (the API fuzzer's find): such a table is an object of its keys
        #expect(try lua.evaluate("local j = require('gcgap.json').encode(LMAX); return #j < 2000, j:sub(1, 12)") == ["true", #"{"1":1,"1024"#])
        let cases: [(String, String)] = [
            ("m:evaluate(b, {metric = {'logit_diff', answer = {L, {1}}, wrong = 4}})", "option 'metric': answer: integer expected at [1][6], got nil"),
            ("m:evaluate(b, {metric = {'logit_diff', answer = {LMAX, {1}}, wrong = 4}})", "answer: integer expected at [1][6], got nil"),
            ("gc.score.ladder(m, b, {metrics = {'loss', {'logit_diff', answer = LMAX, wrong = 4}}})", "option 'metrics': entry 2: answer: integer expected at [6]"),
            ("m:evaluate({L})", "bad argument #1 to 'evaluate' (row 1, token 6: non-negative integer expected)"),
            ("gc.stats.mean_rho({{components = L, G = {raw = {}}, rho = {raw = 0.5}}})", "run 1: 'components' must list 1..100000 names"),
            ("gc.stats.spearman(LMAX, LMAX)", "bad argument"),
            ("gc.tensor(LMAX)", "bad argument #1 to 'tensor'"),
        ]
        for (code, expected) in cases {
            let message = luaError(lua, code) ?? "no error"
            #expect(message.contains(expected), "\(code): \(message)")
        }
    }

    /// Native readers take fields raw: a record's or an options table's __index that raises
    /// never runs inside a Swift frame.
    @Test func fieldsAreReadRawNotThroughMetamethods() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local boom = setmetatable({}, {__index = function() error("boom") end})
            local t = gc.task.new{values = {1, 40}, special = boom, target = function(x) return x end}
            local ok, e = pcall(gc.stats.mean_rho, {setmetatable({}, {__index = function() error("boom") end})})
            return t:special().sep, ok, tostring(e):find("boom") == nil
            """)
        #expect(out == ["102", "false", "true"])
    }
}
