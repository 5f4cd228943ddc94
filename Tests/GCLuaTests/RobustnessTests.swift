import CLua
import CLuaShim
import Foundation
import Testing
@testable import GCLua
import GCCore

/// Every crash and every silent wrong answer found by fuzzing or by hand (issue 8) is a
/// test here: each input gives a catchable Lua error or the correct value.
@Suite("No Lua script crashes the host")
struct RobustnessTests {
    /// A tiny model, so each case is fast.
    static let tiny = "gc.model{n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 64, seed = 1}"

    // MARK: 1. the calling thread

    @Test func nativeCallsWorkInsideCoroutines() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local z = coroutine.wrap(function() return gc.zeros(3) end)()
            local t = gc.tensor{1, 2}
            local n = coroutine.wrap(function() return t:numel() end)()
            local ok, msg = coroutine.wrap(function() return pcall(gc.zeros, "x") end)()
            -- a native call that yields nothing across, with a Lua callback inside the coroutine
            local mapped = coroutine.wrap(function() return t:map(function(x) return x * 10 end) end)()
            local co = coroutine.create(function(a) local b = coroutine.yield(gc.tensor{a}:sum()); return gc.tensor{b}:sum() end)
            local _, first = coroutine.resume(co, 3)
            local _, second = coroutine.resume(co, 4)
            return tostring(z), n, ok, msg, mapped[2], first, second
            """)
        #expect(out == ["tensor([0., 0., 0.], shape=[3])", "2", "false",
                        "bad argument #1 to 'zeros' (table expected, got string)", "20.0", "3.0", "4.0"])
    }

    @Test func aHookInsideACoroutineRunsOnThatCoroutine() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = \(Self.tiny)
            local b = gc.task.reverse():batch{size = 2, length = 3, seed = 1}
            local base = m:loss(b)
            local seen = 0
            m:hook("L0.H0", function(out) seen = seen + out:numel(); return out * 0 end)
            local inside = coroutine.wrap(function() return m:loss(b) end)()
            m:clear_hooks()
            return seen > 0, inside ~= base, m:loss(b) == base
            """)
        #expect(out == ["true", "true", "true"])
    }

    // MARK: 2. re-entrant passes

    @Test func aHookCannotRunAPassOfItsOwnModel() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = \(Self.tiny)
            local task = gc.task.reverse()
            local big, small = task:batch{size = 64, length = 20, seed = 1}, task:batch{size = 2, length = 3, seed = 1}
            local base = m:loss(small)
            m:hook("L0.H0", function() m:clear_hooks(); m:logits(big) end)
            local ok, msg = pcall(m.loss, m, small)
            local after = m:loss(small)          -- the hook removed itself: the model is whole
            m:hook("L0.H0", function() m:set_param("unembed.b_U", gc.zeros(104)) end)
            local ok2, msg2 = pcall(m.loss, m, small)
            m:clear_hooks()
            m:hook("L0.H0", function() m:train(task, {steps = 1, quiet = true}) end)
            local ok3 = pcall(m.loss, m, small)
            m:clear_hooks()
            -- another model's pass inside a hook is fine
            local other = m:copy()
            m:hook("L0.H0", function() other:logits(big) end)
            local ok4 = pcall(m.loss, m, small)
            m:clear_hooks()
            return ok, msg:match("calling 'logits' on bad self %(the model is in the middle of a pass") ~= nil,
                   after == base, ok2, msg2:match("calling 'set_param' on bad self") ~= nil, ok3, ok4
            """)
        #expect(out == ["false", "true", "true", "false", "true", "false", "true"])
    }

    // MARK: 3. finalizers

    @Test func finalizersIgnoreForeignUserdata() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local r = {}
            for _, obj in ipairs{gc.zeros(1), \(Self.tiny), gc.task.reverse()} do
              local gcfn = getmetatable(obj).__gc
              r[#r + 1] = tostring(pcall(gcfn, io.stdout))
              r[#r + 1] = tostring(pcall(gcfn, 42))
            end
            io.stdout:write("")                 -- io.stdout is untouched
            local t = gc.tensor{5}
            getmetatable(t).__gc(t)              -- by hand on a real tensor: emptied, not freed twice
            r[#r + 1] = tostring(pcall(t.numel, t))
            collectgarbage(); collectgarbage()
            return table.concat(r, " ")
            """)
        #expect(out == ["true true true true true true false"])
    }

    // MARK: 4. cyclic and deep tables

    @Test func cyclicAndDeepTablesAreErrors() throws {
        let lua = try gcgapState()
        let cases = [
            "local t = {}; t[1] = t; return gc.tensor(t)",
            "local t, c = {}, nil; c = t; for i = 1, 1000000 do c[1] = {}; c = c[1] end; return gc.tensor(t)",
        ]
        for code in cases {
            #expect(luaError(lua, code)?.contains("nested deeper than 32 levels") == true, "\(code)")
        }
        // a shape is a flat list of integers: a table inside it is no integer (issue 19)
        for fn in ["zeros", "ones", "randn"] {
            #expect(luaError(lua, "local t = {}; t[1] = t; return gc.\(fn)(t)")?.contains("bad argument #1 to '\(fn)' (integer expected at index 1)") == true, "\(fn)")
        }
        try lua.run("json = require 'gcgap.json'")
        #expect(luaError(lua, "local t = {}; t.x = {t}; return json.encode(t)")?.contains("contains itself") == true)
        #expect(luaError(lua, "local t, c = {}, nil; c = t; for i = 1, 100000 do c[1] = {}; c = c[1] end; return json.encode(t)")?
            .contains("nested deeper than 200") == true)
        #expect(luaError(lua, "return json.decode(string.rep('[', 100000))")?.contains("nested deeper than 200") == true)
        // a table seen twice, not in a cycle, is fine
        #expect(try lua.evaluate("local s = {1}; return json.encode({s, s})") == ["[[1],[1]]"])
    }

    // MARK: 5. sizes from Lua

    @Test func hugeSizesAreErrorsBeforeAnyAllocation() throws {
        let lua = try gcgapState()
        try lua.run("m = \(Self.tiny); task = gc.task.reverse()")
        let cases: [(String, String)] = [
            ("return task:batch{size = 1, length = 2^40}", "option 'length': lengths must be in 1..16384"),
            ("return task:batch{size = 1000000, length = 16384}", "too many tokens"),
            ("return m:train(task, {lengths = {1, 2^40}, steps = 1})", "option 'lengths': lengths must be in 1..16384"),
            ("return m:train(task, {batch = 1000000, lengths = {16000, 16000}, steps = 1})", "too many tokens"),
            ("return gc.ood(m, task, {lengths = {2^40}})", "option 'lengths': integers in 1..16384"),
            ("return gc.score.gradient(m, task, {length = 2^40})", "option 'length': lengths must be in 1..16384"),
            ("return gc.score.gradient(m, task, {length = 1000, batches = 100000, batch = 100000})", "too many tokens"),
            ("return gc.zeros{0}:reshape(0, 2^40)", "too large"),
            ("return gc.zeros{0}:reshape(-1, 2^40, 2^40)", "too large"),
            ("return gc.zeros{2^29, 0}", "too large"),
            ("return gc.randn(1e9)", "too large"),
            ("return gc.zeros{32768, 0}:matmul(gc.zeros{0, 32768})", "too large"),
            ("return gc.tensor{{}}:reshape(0, 2^40)", "too large"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
            #expect(msg?.contains("bad argument #") == true, "\(code): \(msg ?? "no error")")
        }
        // small zero-size tensors stay usable
        #expect(try lua.evaluate("local z = gc.zeros{0, 3}; return z:numel(), z:sum(1):numel(), tostring(z:matmul(gc.zeros{3, 2}):shape()[2])")
            == ["0", "3", "2"])
    }

    // MARK: 6. GELU at sizes that are not multiples of 8

    @Test func odd_dMLPTrainsAndFinishes() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{d_mlp = 13, n_layers = 1, d_model = 8, n_heads = 2, d_head = 4, seed = 1}
            local g = m:grad_norms(gc.task.reverse():batch{size = 1, length = 2})
            return g["L0.MLP"] > 0
            """)
        #expect(out == ["true"])
    }

    // MARK: 7. reductions along a dimension

    @Test func reductionsHonourTheirDimension() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local t = gc.tensor{{1, 5, 2}, {7, 2, 9}}
            local function s(x) return table.concat(x:totable(), ",") end
            local mx, imx = t:max(2)
            local mn, imn = t:min(1)
            return s(t:argmax(1)), s(t:argmax(2)), s(mx), s(imx), s(mn), s(imn), s(t:mean(1)), s(t:sum(2)),
                   s(t:argmin(2)), t:max(), t:min(), t:argmax(), t:mean()
            """)
        #expect(out == ["2.0,1.0,2.0", "2.0,3.0", "5.0,9.0", "2.0,3.0", "1.0,2.0,2.0", "1.0,2.0,1.0",
                        "4.0,3.5,5.5", "8.0,18.0", "1.0,2.0", "9.0", "1.0", "6", "4.3333334922791"])
        #expect(luaError(lua, "return gc.tensor{1, 2}:max(2)")?.contains("bad argument #1 to 'max' (dimension 2 out of range 1..1)") == true)
        #expect(luaError(lua, "return gc.zeros{2, 0}:max(2)")?.contains("empty axis") == true)
    }

    // MARK: 8. options tables

    @Test func optionsWithPositionalValuesAreRefused() throws {
        let lua = try gcgapState()
        try lua.run("m = \(Self.tiny); task = gc.task.reverse()")
        for code in ["return m:train(task, {1, 2, 3})", "return task:batch{5}", "return gc.model{4}",
                     "return gc.score.causal(m, task:batch{size = 2, length = 3}, {true})",
                     "return m:train(task, {[true] = 1})"] {
            #expect(luaError(lua, code)?.contains("options are named") == true, "\(code)")
        }
    }

    // MARK: 15. every native error reads like lauxlib's

    @Test func nativeErrorsNameTheArgument() throws {
        let lua = try gcgapState()
        try lua.run("m = \(Self.tiny); task = gc.task.reverse()")
        let cases: [(String, String)] = [
            ("return gc.zeros{2, 3}:matmul(gc.zeros{2, 3})", "bad argument #1 to 'matmul' (shapes [2, 3] and [2, 3] do not fit)"),
            ("return m:logits(task:batch{size = 1, length = 40})", "bad argument #1 to 'logits' (row 1 reads 82 tokens, more than n_ctx = 64)"),
            ("return m:train(task, {lr = 0})", "bad argument #2 to 'train' (option 'lr': positive number expected"),
            ("return m:train(task, {beta2 = 1})", "bad argument #2 to 'train' (option 'beta2'"),
            ("return gc.model{eps = 0}", "bad argument #1 to 'model' (option 'eps': positive number expected"),
            ("return gc.tensor{1} + gc.tensor{1, 2}", "bad argument #2 to '__add'"),
            ("return gc.tensor{1, 2}[3]", "bad argument #2 to '__index' (tensor index 3 out of range"),
            ("return gc.stats.spearman({1, 2}, {1})", "bad argument #2 to 'spearman'"),
            ("return m:loss(gc.batch{{101, 500, 102, 3, 103}})", "bad argument #1 to 'loss'"),
            // found by the API fuzzer: math.mininteger - 1 overflowed (a trap in a debug build)
            ("return gc.zeros{2, 3}:get(1, math.mininteger)",
             "bad argument #2 to 'get' (index -9223372036854775808 out of range for dimension 2 of size 3)"),
            ("return gc.zeros{2, 3}:get(0, 1)", "bad argument #1 to 'get' (index 0 out of range for dimension 1 of size 2)"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
        }
    }

    // MARK: 16. the native module frees what it made

    @Test func reloadingTheNativeModuleLeaksNothing() throws {
        let lua = try gcgapState()
        func kilobytes() throws -> Double { Double(try lua.evaluate("collectgarbage(); collectgarbage(); return collectgarbage('count')")[0])! }
        func liveBoxes() -> Int { lua.functionBoxes.value }   // this state's, whatever other tests do
        try lua.run("for i = 1, 20 do package.preload['gcgap.core']() end")
        let (kb, boxes) = (try kilobytes(), liveBoxes())
        try lua.run("for i = 1, 200 do package.preload['gcgap.core']() end")
        let after = try kilobytes() // collects
        #expect(liveBoxes() == boxes)
        #expect(after - kb < 50)
    }
}

/// Wrong answers and loose checks found while documenting the API (each was silent).
@Suite("Checks found by reading the code")
struct ReadingTests {
    @Test func looseInputsAreErrors() throws {
        let lua = try gcgapState()
        try lua.run("m = \(RobustnessTests.tiny); task = gc.task.reverse(); json = require 'gcgap.json'")
        let cases: [(String, String)] = [
            ("return gc.ood(m, task, {lengths = 5})", "option 'lengths': list of lengths expected"),
            ("return gc.ood(m, task, {range = 'x'})", "option 'range': {lo, hi} expected"),
            ("return gc.classify({['L0.H0'] = 1}, {threshold = -1})", "option 'threshold': non-negative"),
            ("return gc.task.new{target = function(x) return x end, values = {1, 100}}", "includes the special token 100"),
            ("return gc.task.new{target = function(x) return {102} end}:batch{size = 1, length = 2}", "holds the special token 102"),
            ("return gc.score.causal(m, task:batch{size = 2, length = 3}, {ablation = 'zero', zslice_defect = true})", "applies to mean ablation only"),
            ("return m:accuracy(task:batch{size = 2, length = 3}, {ablate = 'L0.H0', with = 'resample', source = task:batch{size = 1, length = 7}})", "same lengths"),
            ("return m:accuracy(task:batch{size = 2, length = 3}, {ablate = 'L0.H0', means = gc.means(m, task:batch{size = 2, length = 3}), per_position = true})", "the means given already fix it"),
            ("return json.decode('[1-2, 3]')", "bad number '1-2'"),
            ("return json.decode('\"\\\\udc00\"')", "lone surrogate"),
            ("return gc.tensor{1e300}", "number 1e+300 at [1] is beyond float32's range"),
            // found by the API fuzzer
            ("return gc.save_tensors(os.tmpname(), {['\\255'] = gc.tensor{1}})", "tensor names must be UTF-8"),
            ("return gc.save_tensors(os.tmpname(), {__metadata__ = gc.tensor{1}})", "reserved by the safetensors format"),
            ("local b = task:batch{size = 2, length = 3}; return gc.score.causal(m, b, {means = gc.means(m, b), per_position = true, zslice_defect = true})", "needs gcgap.means(m, set, {z = true})"),
            ("local b = task:batch{size = 2, length = 3}; local big = gc.model{n_layers = 1, n_heads = 2, d_model = 8, d_head = 8, d_mlp = 16, seed = 1}; return gc.score.causal(m, b, {means = gc.means(big, b, {z = true}), zslice_defect = true})", "width"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
        }
        let out = try lua.evaluate("""
            local b = task:batch{size = 2, length = 3, seed = 1}
            local t = gc.tensor{{1, 2, 3}}
            return json.decode('"\\\\ud83d\\\\ude00"') == "😀", t:slice(2, 4):numel(), t:slice(2, 9):numel(),
                   (m:logits(b, {ablate = 'L0.MLP', with = 'zero'}) - m:logits(b)):norm() > 0, gc.tensor{0/0 == 0/0 and 1 or 2}[1],
                   gc.zeros{3}:argmax()
            """)
        #expect(out == ["true", "0", "0", "true", "2.0", "1"])
    }

    @Test func metricsForAblationAndPatching() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = \(RobustnessTests.tiny)
            local task = gc.task.reverse()
            m:train(task, {steps = 150, quiet = true, target = false, lengths = {2, 3}})
            local clean, corrupted = task:batch{size = 32, length = 3, seed = 1}, task:batch{size = 32, length = 3, seed = 2}
            local e = m:evaluate(clean)
            local r = {}
            for _, metric in ipairs{'accuracy', 'token_accuracy', 'loss', 'margin', 'kl'} do
              local C, base, ablated = gc.score.causal(m, clean, {metric = metric})
              local ok = true
              for k, v in pairs(C) do
                if metric == 'loss' or metric == 'kl' then ok = ok and math.abs(v - (ablated[k] - base)) < 1e-12
                else ok = ok and math.abs(v - (base - ablated[k])) < 1e-12 end
                if metric == 'kl' then ok = ok and v >= 0 end
              end
              r[#r + 1] = tostring(ok)
            end
            -- the baselines agree with m:evaluate
            local _, base_tok = gc.score.causal(m, clean, {metric = 'token_accuracy'})
            local _, base_loss = gc.score.causal(m, clean, {metric = 'loss'})
            local _, base_ld = gc.score.causal(m, clean, {metric = 'margin'})
            -- patching: per-token metrics see partial recovery; KL to the clean run recovered
            local P, c0, x0 = gc.score.patching(m, clean, corrupted, {metric = 'kl'})
            local Pl, cl, xl = gc.score.patching(m, clean, corrupted, {metric = 'loss'})
            return table.concat(r, ' '), base_tok == e.token_accuracy, base_loss == e.loss, base_ld == e.margin,
                   c0 == 0, x0 > 0, Pl['L0.MLP'] == xl - (xl - Pl['L0.MLP']), e.token_accuracy >= e.accuracy
            """)
        #expect(out == ["true true true true true", "true", "true", "true", "true", "true", "true", "true"])
    }
}

/// The documentation covers every public function, and docs/API.md is generated from it.
@Suite("Help for every function")
struct HelpTests {
    @Test func everyPublicFunctionHasHelp() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        #expect(try lua.evaluate("return table.concat(require('gcgap.help').missing(), ' ')") == [""])
        // every entry names a real function, and appears in one section
        let out = try lua.evaluate("""
            local h = require 'gcgap.help'
            local public, seen, stray = h.public(), {}, {}
            for _, s in ipairs(h.sections) do for _, n in ipairs(s.names) do seen[n] = (seen[n] or 0) + 1 end end
            for name in pairs(h.entries) do
              if not public[name] then stray[#stray + 1] = name .. ' (no such function)' end
              if seen[name] ~= 1 then stray[#stray + 1] = name .. ' (in ' .. (seen[name] or 0) .. ' sections)' end
            end
            table.sort(stray)
            return table.concat(stray, ', ')
            """)
        #expect(out == [""])
    }

    @Test func helpFindsFunctionsByValueAndName() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap; out = {}; print = function(s) out[#out + 1] = s end")
        let r = try lua.evaluate("""
            local m = gc.model{n_layers = 1, seed = 1}
            gc.help(gc.score.causal); gc.help('model:train'); gc.help(m.train); gc.help('stats.spearman'); gc.help(m); gc.help()
            gc.help('nothing.like.this')
            return out[1]:match('^gcgap.score.causal%(m, set') ~= nil, out[2]:match('^m:train') ~= nil, out[2] == out[3],
                   out[4]:match('spearman') ~= nil, out[5]:match('Methods') ~= nil, out[6]:match('Tensors') ~= nil,
                   out[7]:match('no help for') ~= nil
            """)
        #expect(r == ["true", "true", "true", "true", "true", "true", "true"])
    }

    /// docs/API.md is what scripts/dev/api_doc.lua writes from stdlib/gcgap/docs.lua.
    @Test func apiDocIsUpToDate() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        let generated = try lua.evaluate("return require('gcgap.help').markdown() .. '\\n'")[0]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/API.md"), encoding: .utf8)
        #expect(generated == committed, "docs/API.md is stale: run gcgap scripts/dev/api_doc.lua")
    }
}

/// Training keeps a checkpoint, and an interrupted run resumes bit for bit.
@Suite("Training checkpoints")
struct TrainingCheckpointTests {
    @Test func aResumedRunEqualsAnUninterruptedOne() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local task = gc.task.reverse()
            local function mk() return gc.model{n_layers = 1, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32, seed = 3} end
            local opts = function(steps, ck)
              return {steps = steps, target = false, quiet = true, eval_every = 100, eval_size = 32,
                      checkpoint = ck and '\(dir)/run.partial', checkpoint_every = 50}
            end
            local whole = mk(); local r1 = whole:train(task, opts(300))
            mk():train(task, opts(150, true))                 -- stopped at 150: the checkpoint holds step 150
            local resumed = mk(); local r2 = resumed:train(task, opts(300, true))
            local b = task:batch{size = 8, length = 5, seed = 9}
            local ok, msg = pcall(resumed.train, resumed, task, {steps = 10, lr = 2e-3, quiet = true, checkpoint = '\(dir)/run.partial'})
            local ok2, msg2 = pcall(resumed.train, resumed, function() return task:batch{size = 2, length = 3} end,
                                    {steps = 1, checkpoint = '\(dir)/x'})
            return whole:logits(b) == resumed:logits(b), r1.loss == r2.loss, r1.accuracy == r2.accuracy, #r1.history == #r2.history,
                   ok, msg:match("bad argument #2 to 'train' %(option 'checkpoint': training checkpoint") ~= nil,
                   ok2, msg2:match("needs a task") ~= nil
            """)
        #expect(out == ["true", "true", "true", "true", "false", "true", "false", "true"])
    }
}

/// gcgap.dir reads each name in place (AddressSanitizer caught the 256-byte copy of
/// `d_name` reading past short readdir records): every name comes back exactly.
@Suite("Folder listings")
struct FolderListingTests {
    @Test func namesOfEveryLengthComeBackExactly() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local names = {}
            for n = 1, 40 do
              local name = string.rep('a', n) .. '\\255'
              gc.write_file('\(dir)/' .. name, 'x')
              names[#names + 1] = name
            end
            gc.write_file('\(dir)/' .. 'b', 'y')                  -- replaces a stale-temporary scan each time
            table.sort(names); names[#names + 1] = 'b'
            local got = gc.dir('\(dir)')
            local same = #got == #names
            for i = 1, #names do same = same and got[i] == names[i] end
            return same, #got
            """)
        #expect(out == ["true", "41"])
    }
}

/// .npy files: what gcgap writes NumPy reads (format 1.0, '<f4'), and NumPy's other dtypes
/// load through the same decoder as safetensors.
@Suite("NumPy files")
struct NpyTests {
    @Test func roundTripAndOtherDtypes() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local t = gc.tensor{{1, 2.5, -3}, {4, 5, 6}}
            t:save_npy('\(dir)/t.npy')
            local back = gc.load_npy('\(dir)/t.npy')
            local f = io.open('\(dir)/t.npy', 'rb'); local bytes = f:read('a'); f:close()
            -- a float64 file as NumPy writes it: magic, version 1.0, header padded to 64 bytes
            local header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
            header = header .. string.rep(' ', 64 - 10 - #header - 1) .. '\\n'
            local f64 = '\\147NUMPY\\1\\0' .. string.pack('<I2', #header) .. header .. string.pack('<d<d', 0.5, -2)
            gc.write_file('\(dir)/d.npy', f64)
            local d = gc.load_npy('\(dir)/d.npy')
            local ok, msg = pcall(gc.load_npy, '\(dir)/missing.npy')
            gc.write_file('\(dir)/bad.npy', f64:sub(1, -3))
            local ok2, msg2 = pcall(gc.load_npy, '\(dir)/bad.npy')
            return back == t, bytes:sub(1, 6) == '\\147NUMPY', (#bytes - 24) % 64 == 0 or #bytes > 0, d[1], d[2], ok,
                   msg:match('No such file') ~= nil, ok2, msg2:match('data bytes') ~= nil
            """)
        #expect(out == ["true", "true", "true", "0.5", "-2.0", "false", "true", "false", "true"])
    }
}
