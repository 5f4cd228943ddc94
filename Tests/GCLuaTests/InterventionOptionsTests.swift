import Testing
@testable import GCLua

/// The one reader of ablation options, component lists and metrics, and the protocol's
/// defaults read from their one home (gcgap.protocol).
@Suite("Intervention options, component lists and protocol defaults")
struct InterventionOptionsTests {
    let lua: LuaState

    init() throws {
        lua = try gcgapState()
        try lua.run("m = \(RobustnessTests.tiny); set = gc.task.reverse():batch{size = 6, length = 4, seed = 3}")
    }

    @Test func withIsAnAliasOfAblationEverywhere() throws {
        let out = try lua.evaluate("""
            local a = m:loss(set, {ablate = "L0.H1", with = "zero"})
            local b = m:loss(set, {ablate = "L0.H1", ablation = "zero"})
            local C1 = gc.score.causal(m, set, {ablation = "zero", metric = "loss"})
            local C2 = gc.score.causal(m, set, {with = "zero", metric = "loss"})
            return a == b, C1["L0.H1"] == C2["L0.H1"]
            """)
        #expect(out == ["true", "true"])
        let msg = luaError(lua, "m:loss(set, {ablate = 'L0.H0', with = 'zero', ablation = 'mean'})")
        #expect(msg?.contains("options 'ablation' and 'with' name the same thing") == true, "\(msg ?? "no error")")
    }

    /// Issue 19's reproducers 5 and 6: a name twice, or an alias of a name given, was
    /// ablated twice (a wrong answer); every list reader now refuses it.
    @Test(arguments: [
        "m:loss(set, {ablate = {'L0.H0', 'L0.H0'}})",
        "m:evaluate(set, {ablate = {'L0.H0', 'L00.H0'}})",
        "m:accuracy(set, {ablate = {'L0.MLP', 'blocks.0.hook_mlp_out'}})",
        "gc.score.interactions(m, set, {components = {'L0.H0', 'L0.H1', 'L0.H0'}})",
        "gc.score.joint(m, set, {'L0.H1', 'L0.H1'})",
        "gc.score.ablations(m, set, {{'L0.H1', 'L0.H1'}})",
        "gc.score.gate(m, set, {components = {'L0.H0', 'L0.H0'}})",
        "gc.means(m, set, {components = {'L0.H0', 'L0.H0'}})",
    ])
    func aComponentNamedTwiceIsRefused(code: String) {
        let msg = luaError(lua, code)
        #expect(msg?.contains("named twice") == true, "\(code): \(msg ?? "no error")")
    }

    /// Issue 19's reproducer 1: gcgap.means with a component the model lacks, after an
    /// ablation of the same batch, crashed the host.
    @Test func meansOfAnUnknownComponentIsAnError() {
        let msg = luaError(lua, "m:accuracy(set, {ablate = 'L0.MLP'}); return gc.means(m, set, {components = {'L9.H0'}})")
        #expect(msg?.contains("bad argument #3 to 'means' (option 'components'") == true, "\(msg ?? "no error")")
    }

    /// A metric is defined in one place (GCCore.Metric): `prob`, the probability of the right
    /// answer, reaches every reader of `metric` with C's orientation.
    @Test func theProbMetricIsScoredLikeEveryOther() throws {
        let out = try lua.evaluate("""
            local e = m:evaluate(set)
            local C, base, ablated = gc.score.causal(m, set, {metric = "prob"})
            local ok = base == e.prob and e.prob > 0 and e.prob < 1
            for name, v in pairs(C) do ok = ok and v == base - ablated[name] end
            local j = gc.score.joint(m, set, {"L0.H0", "L0.MLP"}, {metric = "prob"})
            local g = gc.score.attribution(m, set, {metric = "prob"})
            return ok, j.singles["L0.H0"] == C["L0.H0"], select(3, gc.score.attribution(m, set, {metric = "prob"}))
            """)
        #expect(out == ["true", "true", "prob"])
    }

    /// The natives hold no protocol number: their defaults are read from gcgap.protocol.
    @Test func nativeDefaultsComeFromTheProtocolModule() throws {
        let out = try lua.evaluate("""
            local P = require "gcgap.protocol"
            local d = {a = -7, b = 0, c = 7}
            local before = #gc.classify(d).heroes
            P.presets.default.threshold = 10
            local after = #gc.classify(d).heroes
            P.presets.default.threshold = 6
            return before, after, #gc.classify(d, {threshold = 10}).heroes
            """)
        #expect(out == ["1", "0", "0"])
        let msg = luaError(lua, """
            local saved = package.loaded["gcgap.protocol"]; package.loaded["gcgap.protocol"] = nil
            local ok, err = pcall(gc.classify, {a = 1})
            package.loaded["gcgap.protocol"] = saved
            error(err, 0)
            """)
        #expect(msg?.contains("bad argument #2 to 'classify' (option 'threshold'") == true, "\(msg ?? "no error")")
    }

    /// Issue 19's reproducer 10: inside a hook, a scorer given the hooked model blamed #2
    /// or #3; the model itself is the bad argument.
    @Test(arguments: ["gc.score.gate(m, set)", "gc.means(m, set)", "gc.score.causal(m, set)", "gc.score.ablations(m, set, {'L0.H0'})",
                      "gc.ood(m, gc.task.reverse(), {lengths = {3}})"])
    func aScorerCalledFromAHookOnItsModelBlamesTheModel(code: String) {
        let msg = luaError(lua, """
            local h = m:hook("L0.MLP", function() \(code) end)
            local ok, err = pcall(m.loss, m, set)
            h:remove()
            error(err, 0)
            """)
        let name = code.split(separator: "(")[0].split(separator: ".").last!
        #expect(msg?.contains("bad argument #1 to '\(name)' (the model is in the middle of a pass") == true, "\(code): \(msg ?? "no error")")
    }
}
