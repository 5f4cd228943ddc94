import Testing
@testable import GCLua

/// Issue 22: the task library is learnable, ρ can be followed along training, a known
/// circuit is located without G or C, and the verdict's statistics are native and honest
/// about their resolution.
@Suite("Beyond the paper")
struct BeyondTests {
    static let small = "{n_layers = 2, n_heads = 2, d_model = 32, d_head = 16, d_mlp = 64}"
    static func small(seed: Int) -> String { "{n_layers = 2, n_heads = 2, d_model = 32, d_head = 16, d_mlp = 64, seed = \(seed)}" }

    @Test func aSmallModelLearnsEveryLibraryTaskToTheStopAccuracy() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local P = require "gcgap.protocol"
            local missed = {}
            for _, name in ipairs(gc.task.names()) do
              local m = gc.model(\(Self.small(seed: 1)))
              local r = m:train(gc.task[name](), {steps = 3000, target = P.presets.default.train.target, lengths = {2, 3},
                                                  seed = 1, quiet = true, eval_every = 50, eval_size = 128, lr = 3e-3})
              if not r.reached then missed[#missed + 1] = name .. " (" .. r.accuracy .. ")" end
            end
            return #gc.task.names(), table.concat(missed, ", ")
            """)
        #expect(out == ["7", ""])
    }

    @Test func snapshotsAreIndependentCopiesEveryKSteps() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model(\(Self.small(seed: 2)))
            local r = m:train(gc.task.copy(), {steps = 30, target = false, batch = 8, lengths = {2, 3}, snapshot_every = 10, quiet = true})
            local steps = {}
            for i, s in ipairs(r.snapshots) do steps[i] = s.step end
            local last, first = r.snapshots[3].model, r.snapshots[1].model
            local same = (last:param("embed.W_E") - m:param("embed.W_E")):norm() == 0
            local moved = (first:param("embed.W_E") - m:param("embed.W_E")):norm() > 0
            local plain = m:train(gc.task.copy(), {steps = 1, batch = 8, quiet = true}).snapshots == nil
            return table.concat(steps, ","), same, moved, plain
            """)
        #expect(out == ["10,20,30", "true", "true", "true"])
        let err = luaError(lua, "local m = gc.model{seed = 1, n_layers = 1}; m:train(gc.task.copy(), {steps = 2, snapshot_every = 1, checkpoint = '/tmp/x.safetensors', quiet = true})")
        #expect(err?.contains("option 'snapshot_every': cannot be combined with 'checkpoint'") == true)
        let zero = luaError(lua, "local m = gc.model{seed = 1, n_layers = 1}; m:train(gc.task.copy(), {steps = 2, snapshot_every = 0})")
        #expect(zero?.contains("snapshot_every") == true)
    }

    @Test func theTrajectoryEndsAtTheFinalModelAndTheCircuitIsFound() throws {
        let lua = try gcgapState()
        let dir = try temporaryFolder()
        let out = try lua.evaluate("""
            local E = require "gcgap.experiment"
            local p = E.preset("default", {model = \(Self.small), train = {lr = 3e-3, batch = 32, lengths = {2, 3}, steps = 400, target = false},
                                           eval_every = 0, grad = {batches = 2, batch = 16}, set_size = 64, id_size = 32,
                                           ood = {lengths = {3, 4, 5}, range = {0.0, 1.0}}, bootstrap = 5, ladder = false, joint = false,
                                           snapshot_every = 25})
            local r = E.run("induction", 1, p, {out = "\(dir)/runs", cache = "\(dir)/cache", quiet = true})
            local t = r.trajectory
            local c = r.circuit
            local again = E.run("induction", 1, p, {out = "\(dir)/runs2", cache = "\(dir)/cache", quiet = true})
            return #t, t[#t].step, t[#t].rho.raw == r.rho.raw, tonumber(c.induction.head:match("^L(%d)")) >= 1,
                   c.induction.C_rank >= 1 and c.induction.C_rank <= #r.components,
                   c.prev == nil or tonumber(c.prev.head:match("^L(%d)")) < tonumber(c.induction.head:match("^L(%d)")),
                   #again.trajectory == #t and again.trajectory[1].rho.raw == t[1].rho.raw
            """)
        // 400 steps, snapshots every 25: 16, thinned to at most 12: every ⌈16/12⌉ = 2nd counted
        // back from the last (step 400)
        #expect(out == ["8", "400", "true", "true", "true", "true", "true"])
    }

    @Test func nativeResamplingChecksItsArgumentsAndPrintsItsResolution() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local R = require "gcgap.resampling"
            local p, hits, B = gc.stats.sign_flip({3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {resamples = 999, seed = 1})
            local q, qh, qb = gc.stats.permutation_test({0.1, 0.2, 0.3}, {0.1, 0.2, 0.3}, {resamples = 500})
            return R.format_p(p, hits, B), hits, R.format_p(q, qh, qb):match("^p = ") ~= nil, R.format_p(0.5, 10, 20)
            """)
        #expect(out == ["p < 0.0010", "0", "true", "p = 0.5000"])
        #expect(luaError(lua, "gc.stats.mean_rho({{components = {'L0.H0'}, G = {raw = {}}}})")?.contains("bad argument #1 to 'mean_rho' (run 1: no number for 'L0.H0' in G.raw)") == true)
        #expect(luaError(lua, "gc.stats.mean_rho({{components = {'a'}, G = {raw = {a = 1}}, samples = {base = '01', a = '0x'}}})")?.contains("samples.a holds a character other than 0 and 1") == true)
        #expect(luaError(lua, "gc.stats.mean_rho({{components = {'a'}, G = {raw = {a = 1}}, samples = {base = '01', a = '0'}}})")?.contains("a component has 1 samples, the base 2") == true)
        #expect(luaError(lua, "gc.stats.sign_flip({1, 0/0})")?.contains("bad argument #1 to 'sign_flip'") == true)
        #expect(luaError(lua, "gc.stats.permutation_test({1}, {2}, {resamples = 0})")?.contains("resamples") == true)
    }

    @Test func theVerdictStatesDefinitionsAndNeverPrintsTheFloorAsAP() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        let out = try lua.evaluate("""
            local V = require 'gcgap.verdict'
            local comps = gc.components{}
            local records = {}
            for s = 1, 8 do
              for _, task in ipairs{'reverse', 'sort'} do
                local G, C = {}, {}
                for i, c in ipairs(comps) do G[c] = i; C[c] = i end
                local prune = {heroes = {components = {'L3.H0', 'L3.H1'}, ood = 0.3, id = 0.6}, bloats = {components = {'L0.H0', 'L0.H1'}, ood = 0.55, id = 0.85}}
                records[#records + 1] = {
                  task = task, seed = s, valid = true, components = comps, G = {raw = G, per_param = G}, C = C, base_accuracy = 0.6,
                  rho = {raw = task == 'reverse' and 0.7 or 0.3, per_param = 0.5},
                  classes = {raw = {heroes = {'L3.H0', 'L3.H1'}, bloats = {'L0.H0', 'L0.H1'}}, per_param = {heroes = {'L0.MLP'}, bloats = {}}},
                  pruning = {baseline = {ood = 0.6, id = 0.9}, raw = prune, per_param = prune},
                  joint = {raw = {bloats = {joint = 0.14, sum = 0.01}, heroes = {joint = 0.4, sum = 0.3}}},
                }
              end
            end
            local md = V.markdown(records, {resamples = 100})
            return md:find("p < 0.0099", 1, true) ~= nil, md:find("p = 0.0099", 1, true) == nil,
                   md:find("### What each row measures", 1, true) ~= nil,
                   md:find("all of a run's Heroes together, in points: 40.0", 1, true) ~= nil,
                   md:find("median of per-run ratios: 14.0", 1, true) ~= nil
            """)
        #expect(out == ["true", "true", "true", "true", "true"])
    }
}

/// Issue 20: a task declares its vocabulary and special tokens, so a model of any d_vocab
/// (a TransformerLens one of 50, say) runs it.
@Suite("Tasks with their own special tokens")
struct TaskSpecialTokensTests {
    @Test func aSmallVocabularyRunsATaskThatFitsIt() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local task = gc.task.new{name = "rev40", values = {1, 40}, special = {pad = 46, start = 47, sep = 48, ["end"] = 49},
              target = function(x) local y = {} for i = #x, 1, -1 do y[#y + 1] = x[i] end return y end}
            local m = gc.model{seed = 1, d_vocab = 50, n_layers = 1, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32}
            m:train(task, {steps = 20, batch = 16, lengths = {2, 3}, quiet = true, target = false})
            local set = task:batch{size = 20, length = 3, seed = 3}
            local C = gc.score.causal(m, set)
            return table.concat(task:sample{{3, 4}}:rows()[1], " "), task:special().pad, type(C["L0.H0"]), gc.task.reverse():special().sep
            """)
        #expect(out == ["47 3 4 48 4 3 49", "46", "number", "102"])
        #expect(luaError(lua, "gc.task.new{target = function(x) return x end, special = {sep = 5}, values = {1, 9}}")?
            .contains("option 'values': {1, 9} includes the special token 5 (PAD 100, START 101, SEP 5, END 103)") == true)
        #expect(luaError(lua, "gc.task.new{target = function(x) return x end, special = {pad = -1}}")?
            .contains("option 'special': 'pad' must be an integer token") == true)
        #expect(luaError(lua, "local m = gc.model{seed = 1, d_vocab = 50, n_layers = 1}; m:accuracy(gc.task.reverse():batch{size = 2, length = 2})")?
            .contains("outside the vocabulary 0..49") == true)
    }
}
