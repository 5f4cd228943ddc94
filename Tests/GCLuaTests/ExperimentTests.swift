import Testing
@testable import GCLua

/// The experiment's primitives as a researcher combines them in Lua.
@Suite("Experiment primitives from Lua")
struct ExperimentTests {
    @Test func statisticsOnComponentTables() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local G = {["L0.H0"] = 3, ["L0.H1"] = 1, ["L0.MLP"] = 2}
            local C = {["L0.H0"] = 0.5, ["L0.H1"] = 0.0, ["L0.MLP"] = 0.0}
            local r = gc.stats.ranks(C)
            return gc.stats.spearman(G, C), r["L0.H1"], r["L0.H0"], gc.stats.spearman(G, {["L0.H0"] = 0, ["L0.H1"] = 0, ["L0.MLP"] = 0}),
                   gc.stats.kendall({1, 2, 3, 4}, {1, 3, 2, 4}), table.concat(gc.stats.ranks({10, 20, 20, 5}), " ")
            """)
        // ρ of ranks (3,1,2) and (3,1.5,1.5); a constant C gives nil, never 0
        #expect(out == ["0.86602540378444", "1.5", "3.0", "nil", "0.66666666666667", "2.0 3.5 3.5 1.0"])
        #expect(luaError(lua, "return gc.stats.spearman({a = 1}, {b = 1})")?.contains("must have the same keys") == true)
    }

    @Test func gapAndClasses() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local names = gc.components{}
            local G, C = {}, {}
            for i, n in ipairs(names) do G[n] = i; C[n] = 21 - i end   -- fully reversed ranks
            local d = gc.gap(G, C)
            local cl = gc.classify(d)
            local strict = gc.classify(d, {threshold = 19, strict = true})
            return d["L0.H0"], d["L3.MLP"], #cl.heroes, #cl.bloats, #cl.aligned, cl.heroes[1], cl.bloats[1],
                   #strict.heroes, #gc.classify(d, {threshold = 19}).heroes
            """)
        // Δ runs from 1-20 = -19 to 20-1 = 19; |Δ| >= 6 everywhere but the middle 6
        #expect(out == ["-19.0", "19.0", "7", "7", "6", "L0.H0", "L3.MLP", "0", "1"])
    }

    @Test func oodSelectionAndScorers() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64, seed = 3}
            local task = gc.task.reverse()
            m:train(task, {steps = 150, quiet = true, target = false, eval_every = 0})
            local ood = gc.ood(m, task, {lengths = {3, 4}, range = {0, 1}, size = 32, seed = 3})
            local G, Gp = gc.score.gradient(m, task, {length = 4, batches = 2, batch = 8, seed = 3})
            local ratioHead = Gp["L0.H0"] * math.sqrt(32 * 16) / G["L0.H0"]
            local ratioMLP = Gp["L1.MLP"] * math.sqrt(64 * 32) / G["L1.MLP"]
            local T = gc.score.taylor(m, task, {length = 4, batches = 2, batch = 8, seed = 3})
            local C, base, ablated = gc.score.causal(m, ood.set, {ablation = "zero"})
            local consistent = true
            for name, c in pairs(C) do if math.abs(c - (base - ablated[name])) > 1e-12 then consistent = false end end
            local P, clean, corrupt = gc.score.patching(m, ood.set, ood.set)
            local zero = true
            for _, v in pairs(P) do if v ~= 0 then zero = false end end
            local n = 0 for _ in pairs(C) do n = n + 1 end
            return ood.length, #ood.accuracies, math.abs(ratioHead - 1) < 1e-9, math.abs(ratioMLP - 1) < 1e-9,
                   T["L0.H0"] >= 0, consistent, n, zero, clean == corrupt
            """)
        #expect(out == ["3", "1", "true", "true", "true", "true", "6", "true", "true"])
    }

    /// Many ablations of one set at once give what one m:evaluate per list gives (resumed
    /// from one clean run, on threads, repeats read back), and bad lists are named errors.
    @Test func ablationsAtOnceEqualOnePassEach() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32, n_ctx = 64, seed = 3}
            local set = gc.task.reverse():batch{size = 12, length = {3, 6}, seed = 5}
            local mu = gc.means(m, set)
            local lists = {"L0.H1", {"L1.H0", "L0.MLP"}, {"L1.MLP"}, "L0.H1"}
            local fresh = m:copy()
            local r, base = gc.score.ablations(m, set, lists, {means = mu})
            local same = base.loss == fresh:loss(set) and #r == 4
            for i, l in ipairs(lists) do
              local e = fresh:evaluate(set, {ablate = l, means = mu})
              same = same and r[i].loss == e.loss and r[i].accuracy == e.accuracy and r[i].margin == e.margin
            end
            local z = gc.score.ablations(m, set, {"L1.H1"}, {ablation = "zero"})
            same = same and z[1].loss == fresh:loss(set, {ablate = "L1.H1", with = "zero"})
            local none, b2 = gc.score.ablations(m, set, {})
            return same, #none, b2.loss == base.loss
            """)
        #expect(out == ["true", "0", "true"])
        try lua.run("m = \(RobustnessTests.tiny); set = gc.task.reverse():batch{size = 3, length = 3}")
        let cases: [(String, String)] = [
            ("gc.score.ablations(m, set, 3)", "bad argument #3 to 'ablations' (list of component lists expected, got number)"),
            ("gc.score.ablations(m, set, {{}})", "bad argument #3 to 'ablations' (entry 1: an empty list)"),
            ("gc.score.ablations(m, set, {{'L0.H0', 5}})", "bad argument #3 to 'ablations' (entry 1: component name expected at index 2, got number)"),
            ("gc.score.ablations(m, set, {'L7.H0'})", "bad argument #3 to 'ablations' (unknown component 'L7.H0'"),
            ("gc.score.ablations(m, set, {'L0.H0'}, {ablation = 'resample'})", "bad argument #4 to 'ablations' (option 'ablation': \"mean\" or \"zero\""),
            ("gc.score.ablations(m, set, {'L0.H0'}, {metric = 'loss'})", "bad argument #4 to 'ablations' (option 'metric'"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code)
            #expect(msg?.contains(expected) == true, "\(code): \(msg ?? "no error")")
        }
    }

    @Test func presets() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local E = require "gcgap.experiment"
            local d, p = E.preset("default"), E.preset("paper-code")
            local tweaked = E.preset("paper-code", {zslice_defect = true})
            return d.threshold, d.strict, d.eval_every, p.strict, p.eval_every, p.layout, p.zslice_defect, tweaked.zslice_defect, p.threshold
            """)
        #expect(out == ["6", "false", "100", "true", "500", "blocks", "false", "true", "6"])
        #expect(luaError(lua, "return require('gcgap.experiment').preset('default', {treshold = 5})")?.contains("unknown preset field 'treshold'") == true)
        #expect(luaError(lua, "return require('gcgap.experiment').preset('nope')")?.contains("unknown preset 'nope'") == true)
    }

    /// The whole pipeline on a tiny model, and the learned-positions model that has no OOD
    /// length: its record says so plainly instead of failing.
    @Test func pipelineOnATinyModel() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local E = require "gcgap.experiment"
            local json = require "gcgap.json"
            local small = {n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64}
            local p = E.preset("default", {model = small, train = {lr = 3e-3, batch = 32, lengths = {3, 5}, steps = 200, target = false},
                                           eval_every = 0, grad = {batches = 2, batch = 16}, set_size = 64, id_size = 32,
                                           ood = {lengths = {3, 4, 5, 6}, range = {0.0, 1.0}}, bootstrap = 20})
            local m = E.train("reverse", 5, p, {quiet = true})
            local r = E.analyse(m, "reverse", 5, p)
            local back = json.decode(json.encode(r))
            local learned = {}
            for k, v in pairs(small) do learned[k] = v end
            learned.positions = "learned"
            local pl = E.preset("default", {model = learned, train = {lr = 3e-3, batch = 32, lengths = {3, 5}, steps = 100, target = false},
                                            eval_every = 0, set_size = 32, ood = {lengths = {9, 10}, range = {0.2, 0.75}}})
            local ml = E.train("reverse", 5, pl, {quiet = true})
            local rl = E.analyse(ml, "reverse", 5, pl)
            return r.valid, r.ood.length, type(r.rho.raw), r.pruning.raw ~= nil, back.rho.raw == r.rho.raw,
                   r.bootstrap.resamples, rl.valid, rl.note
            """)
        #expect(out == ["true", "3", "number", "true", "true", "20", "false",
                        "no valid OOD length: accuracy outside [0.2, 0.75] at every length tried"])
    }
}

/// The public code's z-slice defect, as a flag, changes only where a head's mean is written
/// (issue 9): MLP C, the base accuracy and the sets are those of the same preset without it.
@Suite("The z-slice defect flag")
struct ZSliceDefectTests {
    @Test func theFlagChangesOnlyTheHeadAblationSite() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        let out = try lua.evaluate("""
            local E = require 'gcgap.experiment'
            local small = {model = {n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64},
                           grad = {batches = 2, batch = 16}, bootstrap = 0,
                           ood = {lengths = {3}, range = {0, 1}}}
            local function preset(defect)
              local o = {zslice_defect = defect}
              for k, v in pairs(small) do o[k] = v end
              return E.preset('paper-code', o)
            end
            local m = gc.model{n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64, seed = 5}
            m:train(gc.task.reverse(), {steps = 500, lengths = {2, 3}, lr = 3e-3, quiet = true, target = false, eval_every = 0})
            local off = E.analyse(m, 'reverse', 5, preset(false))
            local on = E.analyse(m, 'reverse', 5, preset(true))
            local mlp_same, head_differs = true, false
            for _, c in ipairs(off.components) do
              if c:match('MLP') then mlp_same = mlp_same and off.C[c] == on.C[c]
              elseif off.C[c] ~= on.C[c] then head_differs = true end
            end
            -- the native scorer's mean for the defect comes from the means given, not the set
            local set = gc.task.reverse():batch{size = 64, length = 3, seed = 1}
            local other = gc.task.sort():batch{size = 64, length = 7, seed = 2}   -- other means
            local mu = gc.means(m, other, {z = true})
            local C1 = gc.score.causal(m, set, {means = mu, zslice_defect = true})
            local C2 = gc.score.causal(m, set, {means = gc.means(m, set, {z = true}), zslice_defect = true})
            local ok, msg = pcall(gc.score.causal, m, set, {means = gc.means(m, set), zslice_defect = true})
            local mlp_follows_means = C1['L0.MLP'] == gc.score.causal(m, set, {means = mu})['L0.MLP']
            local heads_follow_means = false
            for _, c in ipairs{'L0.H0', 'L0.H1', 'L1.H0', 'L1.H1'} do heads_follow_means = heads_follow_means or C1[c] ~= C2[c] end
            return off.ood.length == on.ood.length, off.base_accuracy == on.base_accuracy, mlp_same, head_differs,
                   mlp_follows_means, heads_follow_means, ok, msg:match('z = true') ~= nil,
                   mu:get('L0.H0.z'):numel()
            """)
        #expect(out == ["true", "true", "true", "true", "true", "true", "false", "true", "16"])
    }
}

/// Joint and interaction ablation (issue 9): the primitives behind v3's redundancy claim.
@Suite("Joint and pairwise ablation")
struct JointAblationTests {
    @Test func jointEffectsAgreeWithAblatingByHand() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64, seed = 5}
            m:train(gc.task.reverse(), {steps = 500, lengths = {2, 3}, lr = 3e-3, quiet = true, target = false, eval_every = 0})
            local set = gc.task.reverse():batch{size = 64, length = 3, seed = 1}
            local mu = gc.means(m, set)
            local base = m:accuracy(set)
            local trio = {'L0.H0', 'L1.H1', 'L1.MLP'}
            local j = gc.score.joint(m, set, trio, {means = mu})
            local function drop(list) return base - m:accuracy(set, {ablate = list, means = mu}) end
            local ok = math.abs(j.joint - drop(trio)) < 1e-12 and math.abs(j.base - base) < 1e-12
            local sum = 0
            for _, c in ipairs(trio) do
              ok = ok and math.abs(j.singles[c] - drop{c}) < 1e-12
              sum = sum + j.singles[c]
            end
            ok = ok and math.abs(j.sum - sum) < 1e-12 and (j.ratio == nil or math.abs(j.ratio - j.joint / sum) < 1e-12)
            ok = ok and math.abs(j.leave_one_out['L0.H0'] - drop{'L1.H1', 'L1.MLP'}) < 1e-12
            local I = gc.score.interactions(m, set, {means = mu})
            local pair = drop{'L0.H0', 'L1.MLP'} - drop{'L0.H0'} - drop{'L1.MLP'}
            ok = ok and math.abs(I.matrix['L0.H0']['L1.MLP'] - pair) < 1e-12 and I.matrix['L1.MLP']['L0.H0'] == I.matrix['L0.H0']['L1.MLP']
                    and I.matrix['L0.H1']['L0.H1'] == 0 and #I.components == 6
            local ok2, msg2 = pcall(gc.score.joint, m, set, {'L0.H0', 'L0.H0'})
            local ok3, msg3 = pcall(gc.score.joint, m, set, {'L9.H0'})
            return ok, ok2, msg2:match('named twice') ~= nil, ok3, msg3:match("bad argument #3 to 'joint'") ~= nil
            """)
        #expect(out == ["true", "false", "true", "false", "true"])
    }
}

/// The verdict on synthetic records whose answers are known.
@Suite("The verdict")
struct VerdictTests {
    @Test func verdictsFollowTheEvidence() throws {
        let lua = try gcgapState()
        try lua.run("gcgap = require 'gcgap'; gc = gcgap")
        let out = try lua.evaluate("""
            local V = require 'gcgap.verdict'
            local comps = gc.components{}
            local records = {}
            -- reversal: ρ near 0.72; sorting: ρ near 0.27 with some negative seeds; Heroes late, Bloats early;
            -- Hero pruning costs 30 points, Bloat pruning 5; Bloats together do 14x their singles
            for s = 1, 12 do
              for _, task in ipairs{'reverse', 'sort'} do
                local target = task == 'reverse' and 0.72 or 0.27
                local rho = target + ((s % 5) - 2) * (task == 'reverse' and 0.02 or 0.2)
                local G, C = {}, {}
                for i, c in ipairs(comps) do G[c] = i; C[c] = i end
                local heroes, bloats = {'L3.H0', 'L3.H1'}, {'L0.H0', 'L0.H1'}
                local prune = {heroes = {components = heroes, ood = 0.3, id = 0.6}, bloats = {components = bloats, ood = 0.55, id = 0.85}}
                records[#records + 1] = {
                  task = task, seed = s, valid = true, components = comps, G = {raw = G, per_param = G}, C = C,
                  rho = {raw = rho, per_param = rho}, classes = {raw = {heroes = heroes, bloats = bloats}, per_param = {heroes = {'L0.MLP', 'L1.MLP'}, bloats = bloats}},
                  pruning = {baseline = {ood = 0.6, id = 0.9}, raw = prune, per_param = prune},
                  joint = {raw = {bloats = {joint = 0.14 * (1 + s % 3), sum = 0.01 * (1 + s % 3)}}},
                }
              end
            end
            local rows = V.rows(records, {resamples = 300})
            local words = {}
            for _, r in ipairs(rows) do words[#words + 1] = r.version .. ':' .. r.claim:sub(1, 24) .. '=' .. r.word end
            local md = V.markdown(records, {resamples = 100})
            local function word(prefix)
              for _, r in ipairs(rows) do if (r.version .. ':' .. r.claim):find(prefix, 1, true) == 1 then return r.word end end
            end
            return word('v1:ρ is higher on reversal'), word('v2:mean ρ on sort'), word('v1:Heroes sit in later'),
                   word('v2:the MLPs of L0 and L1'), word('v1:pruning two Heroes hurts OOD'), word('v3:ablating the Bloats together'),
                   word('v2:four of ten'), md:match('## Verdict') ~= nil, md:match('dominant') ~= nil
            """)
        #expect(out == ["reproduced", "not reproduced", "reproduced", "reproduced", "reproduced", "reproduced", "reproduced", "true", "true"])
    }
}
