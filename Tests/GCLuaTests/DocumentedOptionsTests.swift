import Testing
@testable import GCLua

/// The documentation's option rows (stdlib/gcgap/docs.lua, shared groups included) name
/// options the natives really read: each documented key, given a value of a type no option
/// takes, is complained about by name, never as an unknown option.
@Suite("Documented options")
struct DocumentedOptionsTests {
    @Test func everyDocumentedOptionOfANativeIsAccepted() throws {
        let lua = try gcgapState()
        try lua.run("""
            m = \(RobustnessTests.tiny); task = gc.task.reverse(); set = task:batch{size = 3, length = 3}
            calls = {
              model = function(o) return gc.model(o) end,
              ["task.new"] = function(o) return gc.task.new(o) end,
              ["task:batch"] = function(o) return task:batch(o) end,
              ["model:train"] = function(o) return m:train(task, o) end,
              ["model:logits"] = function(o) return m:logits(set, o) end,
              ["model:loss"] = function(o) return m:loss(set, o) end,
              ["model:evaluate"] = function(o) return m:evaluate(set, o) end,
              ["model:accuracy"] = function(o) return m:accuracy(set, o) end,
              ["model:grad_norms"] = function(o) return m:grad_norms(set, o) end,
              means = function(o) return gc.means(m, set, o) end,
              ood = function(o) return gc.ood(m, task, o) end,
              ["score.gradient"] = function(o) return gc.score.gradient(m, task, o) end,
              ["score.causal"] = function(o) return gc.score.causal(m, set, o) end,
              ["score.taylor"] = function(o) return gc.score.taylor(m, task, o) end,
              ["score.gate"] = function(o) return gc.score.gate(m, set, o) end,
              ["score.attribution"] = function(o) return gc.score.attribution(m, set, o) end,
              ["score.integrated"] = function(o) return gc.score.integrated(m, set, o) end,
              ["score.shapley"] = function(o) return gc.score.shapley(m, set, o) end,
              ["score.ladder"] = function(o) return gc.score.ladder(m, set, o) end,
              ["score.joint"] = function(o) return gc.score.joint(m, set, {"L0.H0"}, o) end,
              ["score.ablations"] = function(o) return gc.score.ablations(m, set, {"L0.H0"}, o) end,
              ["score.interactions"] = function(o) return gc.score.interactions(m, set, o) end,
              ["score.patching"] = function(o) return gc.score.patching(m, set, set, o) end,
              ["stats.permutation"] = function(o) return gc.stats.permutation({1, 2, 3}, {1, 3, 2}, o) end,
              ["stats.bootstrap"] = function(o) return gc.stats.bootstrap({1, 2, 3}, {1, 3, 2}, o) end,
              ["stats.mean_rho"] = function(o) return gc.stats.mean_rho({}, o) end,
              ["stats.permutation_test"] = function(o) return gc.stats.permutation_test({1, 2}, {0, 1}, o) end,
              ["stats.sign_flip"] = function(o) return gc.stats.sign_flip({1, 2}, o) end,
              ["circuits.induction"] = function(o) return require("gcgap.circuits").induction(m, gc.task.induction(), o) end,
              gap = function(o) return gc.gap({a = 1, b = 2}, {a = 2, b = 1}, o) end,
              classify = function(o) return gc.classify({a = 1}, o) end,
              components = function(o) return gc.components(o) end,
              load = function(o) return gc.load("/nonexistent.safetensors", o) end,
              sandbox = function(o) return gc.sandbox("return 1", o) end,
            }
            """)
        let out = try lua.evaluate("""
            local docs = require "gcgap.docs"
            local odd = coroutine.create(print)      -- a value no option takes
            local checked, bad, missing = 0, {}, {}
            for _, e in ipairs(docs.entries) do
              local call = calls[e.name]
              if e.opts and #e.opts > 0 and call then
                for _, row in ipairs(e.opts) do
                  local ok, err = pcall(call, {[row[1]] = odd})
                  checked = checked + 1
                  if ok or tostring(err):find("unknown option", 1, true) then bad[#bad + 1] = e.name .. "." .. row[1] end
                end
              elseif e.opts and #e.opts > 0 and not e.name:find("^experiment%.") and not e.name:find("^report%.")
                  and not e.name:find("^verdict%.") and e.name ~= "pretty.format" and e.name ~= "model:run_with_cache" then
                missing[#missing + 1] = e.name
              end
            end
            return checked > 100, table.concat(bad, " "), table.concat(missing, " ")
            """)
        #expect(out == ["true", "", ""])
    }
}
