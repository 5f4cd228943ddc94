import Testing
@testable import GCLua

/// Torch7's tensor editing: views share their base's storage and write through, writes are
/// checked, a view outlives its base safely, and a hook may edit `out` in place.
@Suite("Tensor views and in-place writes")
struct TensorViewTests {
    @Test func viewsWriteThroughAndSeeLaterWrites() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local t = gc.zeros{3, 4}
            local row, cols = t:select(1, 2), t:narrow(2, 3, 2)
            row:fill(7)
            cols:copy(gc.ones{3, 2} * 5)
            local corner = t:sub(2, 3, -1, -1)           -- rows 2..3 of the last column: a view of a view's base
            corner:fill(-1)
            local m = gc.zeros{3, 4}; m:select(2, 1):fill(1)
            t:maskedFill(m, 9)
            t:indexCopy(1, {3}, gc.tensor{{1, 2, 3, 4}})
            local flat = {}
            for _, r in ipairs(t:totable()) do flat[#flat + 1] = table.concat(r, " ") end
            return table.concat(flat, " | "), table.concat(row:totable(), " "), row:is_view(), t:is_view(), t:clone():is_view(),
                   (row + 1):is_view(), gc.cat({gc.ones{2, 1}, gc.zeros{2, 2}}):shape()[2], gc.cat({gc.ones{1, 2}, gc.zeros{2, 2}}, 1):shape()[1]
            """)
        #expect(out == ["9.0 0.0 5.0 5.0 | 9.0 7.0 5.0 -1.0 | 1.0 2.0 3.0 4.0", "9.0 7.0 5.0 -1.0", "true", "false", "false", "false", "3", "3"])
    }

    @Test func aViewOutlivesItsBase() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local v = gc.randn({64, 64}, 1):narrow(1, 3, 2)
            collectgarbage(); collectgarbage()
            v:fill(2)
            local w = v:select(1, 1)
            v = nil; collectgarbage(); collectgarbage()
            return w:sum(), #w
            """)
        #expect(out == ["128.0", "64"])
    }

    @Test func badIndicesAndShapesAreErrorsNamingTheArgument() throws {
        let lua = try gcgapState()
        try lua.run("t = gc.zeros{3, 4}")
        let cases: [(String, String)] = [
            ("t:narrow(2, 4, 2)", "bad argument #3 to 'narrow' (length 2 from 4 passes the end of dimension 2 (size 4))"),
            ("t:narrow(2, 2, math.maxinteger)", "bad argument #3 to 'narrow' (length 9223372036854775807 from 2 passes the end of dimension 2 (size 4))"),
            ("t:narrow(2, 5, 1)", "bad argument #3 to 'narrow' (length 1 from 5 passes the end of dimension 2 (size 4))"),
            ("t:sub(1, math.maxinteger)", "bad argument #1 to 'sub' (range 1..9223372036854775807 out of 1..3 in dimension 1)"),
            ("t:narrow(3, 1, 1)", "bad argument #1 to 'narrow' (dimension 3 out of range 1..2)"),
            ("t:select(1, 0)", "bad argument #2 to 'select' (index 0 out of range 1..3 of dimension 1)"),
            ("t:sub(1, 5)", "bad argument #1 to 'sub' (range 1..5 out of 1..3 in dimension 1)"),
            ("t:sub(1)", "bad argument #1 to 'sub' (pairs of start and end indices expected"),
            ("t:copy(gc.ones{5})", "bad argument #1 to 'copy' (5 elements for a tensor of 12 (shape [3, 4]))"),
            ("t:maskedFill(gc.ones{4, 3}, 1)", "bad argument #1 to 'maskedFill' (a mask of shape [4, 3] for a tensor of shape [3, 4])"),
            ("t:indexCopy(1, {4}, gc.ones{1, 4})", "bad argument #2 to 'indexCopy' (index 1 is 4, out of range 1..3)"),
            ("t:indexCopy(1, {1, 2}, gc.ones{1, 4})", "bad argument #3 to 'indexCopy' (shape [1, 4] expected [2, 4]"),
            ("t:fill('x')", "bad argument #1 to 'fill' (number expected, got string)"),
            ("gc.cat({gc.ones{2, 2}, gc.ones{3, 3}})", "tensor 2 has shape [3, 3], which differs from tensor 1's [2, 2] outside dimension 2"),
            ("gc.cat({})", "bad argument #1 to 'cat' (a list of 1 or more tensors expected)"),
            ("gc.cat({gc.tensor(1)})", "0-d tensors cannot be joined"),
            ("t.narrow(nil, 1, 1, 1)", "calling 'narrow' on bad self (tensor expected, got nil)"),
        ]
        for (code, message) in cases {
            let err = luaError(lua, code)
            #expect(err?.contains(message) == true, "\(code): \(err ?? "no error")")
        }
    }

    @Test func aHookThatEditsOutInPlaceReplacesTheOutput() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        let out = try lua.evaluate("""
            local m = gc.model{seed = 1, n_layers = 2, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32}
            local task = gc.task.reverse()
            local clean, corrupt = task:batch{size = 4, length = 5, seed = 1}, task:batch{size = 4, length = 5, seed = 2}
            local _, cache = m:run_with_cache(clean, {names = {"L1.resid_pre"}})
            local base = m:logits(corrupt)
            local patched = m:run_with_hooks(corrupt, {["L1.resid_pre"] = function(out) out:select(2, 3):copy(cache["L1.resid_pre"]:select(2, 3)) end})
            local returned = m:run_with_hooks(corrupt, {["L1.resid_pre"] = function(out)
              local o = out:clone(); o:select(2, 3):copy(cache["L1.resid_pre"]:select(2, 3)); return o end})
            local untouched = m:run_with_hooks(corrupt, {["L1.resid_pre"] = function(out) local c = out:select(2, 3):clone(); c:fill(0) end})
            -- positions before 3 are unchanged by patching position 3 (causal attention)
            local early = (patched:narrow(2, 1, 2) - base:narrow(2, 1, 2)):norm()
            return (patched - returned):norm(), (patched - base):norm() > 0, (untouched - base):norm(), early
            """)
        #expect(out == ["0.0", "true", "0.0", "0.0"])
    }
}
