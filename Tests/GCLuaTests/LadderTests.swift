import Foundation
import Testing
@testable import GCLua

/// The estimator ladder from Lua (issue 11): each scorer, the whole ladder in one call,
/// the panel and the report section, and clear errors for bad arguments.
@Suite("The estimator ladder from Lua")
struct LadderTests {
    static let setup = """
        local m = gc.model{n_layers = 2, d_model = 32, n_heads = 2, d_head = 16, d_mlp = 64, seed = 5}
        m:train(gc.task.sort(), {steps = 400, lengths = {2, 4}, lr = 3e-3, quiet = true, target = false, eval_every = 0})
        local task = gc.task.sort()
        local set = task:batch{size = 48, length = 4, seed = 1}
        local source = task:batch{size = 48, length = 4, seed = 2}
        local mu = gc.means(m, set)
        """

    @Test func theLadderIsEachScorersOwnNumbers() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate(Self.setup + """
            local r = gc.score.ladder(m, set, {means = mu, source = source, steps = 8, shapley = 2, seed = 3})
            local C = gc.score.causal(m, set, {means = mu})
            local Cl = gc.score.causal(m, set, {means = mu, metric = 'loss'})
            local Cr = gc.score.causal(m, set, {ablation = 'resample', source = source, metric = 'kl'})
            local ap = gc.score.attribution(m, set, {means = mu, metric = 'margin'})
            local gate, value, diff = gc.score.gate(m, set, {metric = 'accuracy'})
            local ig, info = gc.score.integrated(m, set, {means = mu, steps = 8, metric = 'kl'})
            local sh, sinfo = gc.score.shapley(m, set, {means = mu, permutations = 2, seed = 3, metric = 'loss'})
            local same = true
            for _, c in ipairs(m:components()) do
              same = same and r.exact.mean.accuracy[c] == C[c] and r.exact.mean.loss[c] == Cl[c]
                and r.exact.resample.kl[c] == Cr[c] and r.attribution.margin[c] == ap[c]
                and r.gate.accuracy[c] == gate[c] and r.gate.loss[c] == gate[c]
                and r.integrated.kl[c] == ig[c] and r.shapley.loss[c] == sh[c]
            end
            local total = 0
            for _, v in pairs(sh) do total = total + v end
            local L = require 'gcgap.ladder'
            r.G = {raw = (gc.score.gradient(m, task, {length = 4, batches = 2, batch = 16}))}
            local rho = L.rhos(r)
            local md = L.markdown({{task = 'sort', valid = true, ladder = {rho = rho, seconds = r.seconds}}})
            return same, diff, #r.metrics, r.steps, info.steps, info.differentiated,
                   math.abs(info.sum - info.total - info.error) < 1e-9, math.abs(total - sinfo.total) < 1e-9,
                   type(rho.attribution.loss), rho.attribution.kl == nil, type(rho.G_raw.accuracy),
                   md:match('## The estimator ladder') ~= nil, L.svg({}):match('^<svg') ~= nil,
                   r.seconds.integrated ~= nil
            """)
        #expect(out == ["true", "loss", "4", "8", "8", "kl", "true", "true", "number", "true", "number", "true", "true", "true"])
    }

    @Test func badArgumentsAreNamed() throws {
        let lua = try gcgapState()
        try lua.run(Self.setup.replacingOccurrences(of: "local ", with: ""))
        let cases: [(String, String)] = [
            ("gc.score.ladder(m, set, {metrics = {'bogus'}})", "bad argument #3 to 'ladder' (option 'metrics'"),
            ("gc.score.ladder(m, set, {steps = 0})", "bad argument #3 to 'ladder' (option 'steps'"),
            ("gc.score.ladder(m, set, {components = {'L0.ATTN'}})", "a head or MLP name expected"),
            ("gc.score.ladder(m, set, {components = {'L7.H0'}})", "unknown component"),
            ("gc.score.ladder(m, set, {source = task:batch{size = 4, length = 3}})", "same lengths"),
            ("gc.score.ladder(m, set, {stepz = 3})", "did you mean 'steps'"),
            ("gc.score.gate(set, set)", "bad argument #1 to 'gate'"),
            ("gc.score.integrated(m, set, {metric = 'nope'})", "bad argument #3 to 'integrated' (option 'metric'"),
            ("gc.score.shapley(m, set, {permutations = 0})", "bad argument #3 to 'shapley' (option 'permutations'"),
            ("gc.score.attribution(m, set, {ablation = 'resample'})", "option 'source'"),
            // found in review: a bad source blamed a stack slot (#5) instead of the options
            ("gc.score.ladder(m, set, {source = 5})", "bad argument #3 to 'ladder' (option 'source':"),
            ("gc.score.joint(m, set, {'L0.H0'}, {source = 5})", "bad argument #4 to 'joint' (option 'source':"),
        ]
        for (code, expected) in cases {
            let msg = luaError(lua, code) ?? "no error"
            #expect(msg.contains(expected), "\(code): \(msg)")
        }
    }
}
