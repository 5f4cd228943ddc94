import Foundation
import Testing
@testable import GCLua
import GCCore

/// TransformerLens's hook points on gcgap models: names, aliases, run_with_cache and
/// run_with_hooks, checked against the activations TransformerLens records on the committed
/// reference model (Tests/Fixtures/make_cache_reference.py).
@Suite("TransformerLens hook points")
struct HookPointTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// Every cached activation agrees with TransformerLens's to 1e-4 relative, plus 1e-6 of the
    /// tensor's largest entry.
    @Test func runWithCacheMatchesTransformerLens() throws {
        let lua = try gcgapState()
        try lua.run("require 'gcgap.hooks'")
        let out = try lua.evaluate("""
            local dir = '\(Self.fixtures)'
            local m = gc.load(dir .. '/reference_model.safetensors', {quiet = true})
            local ref = gc.load_tensors(dir .. '/reference_outputs.safetensors')
            local tl = gc.load_tensors(dir .. '/reference_cache.safetensors')
            local rows, lens = ref.rows:totable(), ref.row_lengths:totable()
            local batch = {}
            for i, r in ipairs(rows) do
              local row = {}
              for k = 1, lens[i] do row[k] = math.tointeger(r[k]) end
              batch[i] = row
            end
            local names = {}
            for name in pairs(tl) do if name ~= 'logits_padded' then names[#names + 1] = name end end
            table.sort(names)
            local logits, cache = m:run_with_cache(gc.batch(batch), {names = names})
            local function worst(a, b)
              if table.concat(a:shape(), 'x') ~= table.concat(b:shape(), 'x') then
                return 'shape ' .. table.concat(a:shape(), 'x') .. ' vs ' .. table.concat(b:shape(), 'x')
              end
              local x, y, w, scale = a:reshape(-1):totable(), b:reshape(-1):totable(), 0, 1
              for i = 1, #y do scale = math.max(scale, math.abs(y[i])) end
              -- absolute part: 1e-6 of the tensor's largest entry (about 8 ulps of it), for
              -- entries that are small because their terms cancel
              for i = 1, #x do w = math.max(w, math.abs(x[i] - y[i]) / (1e-6 * scale + 1e-4 * math.max(math.abs(x[i]), math.abs(y[i])))) end
              return w
            end
            local bad = {}
            for _, name in ipairs(names) do
              local w = worst(cache[name], tl[name])
              if type(w) == 'string' or w > 1 then bad[#bad + 1] = name .. ': ' .. tostring(w) end
            end
            local lw = worst(logits, tl.logits_padded)
            if lw > 1 then bad[#bad + 1] = 'logits: ' .. lw end
            return #names, table.concat(bad, '; ')
            """)
        #expect(out == ["32", ""])
    }

    @Test func namesAndAliases() throws {
        let lua = try gcgapState()
        try lua.run("require 'gcgap.hooks'")
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, seed = 1}
            local b = gc.task.reverse():batch{size = 3, length = {2, 4}, seed = 1}
            local logits, all = m:run_with_cache(b)
            local n = 0
            for _ in pairs(all) do n = n + 1 end
            local _, tl = m:run_with_cache(b, {names = {'blocks.1.hook_mlp_out', 'blocks.0.attn.hook_z[1]',
                                                          'blocks.0.attn.hook_q', 'blocks.1.attn.hook_pattern'}})
            local same = (tl['blocks.1.hook_mlp_out'] - all['L1.MLP']):norm() == 0
                     and (tl['blocks.0.attn.hook_z[1]'] - all['L0.H1.z']):norm() == 0
            local function s(t) return table.concat(t:shape(), 'x') end
            return n, #require('gcgap.hooks').names(m), same, s(tl['blocks.0.attn.hook_q']), s(tl['blocks.1.attn.hook_pattern']),
                   s(all['L0.MLP.pre']), s(all['ln_final']), m:logits(b) == logits
            """)
        // observing every point changes no bit of the logits
        #expect(out == ["44", "44", "true", "3x10x2x4", "3x2x10x10", "3x10x16", "3x10x8", "true"])
        #expect(luaError(lua, "local m = gc.model{n_layers = 1, seed = 1}; return m:hook('blocks.0.attn.hook_q', print)")?
            .contains("unknown component 'blocks.0.attn.hook_q'") == true) // a per-head point needs its head
        #expect(luaError(lua, "local m = gc.model{n_layers = 1, seed = 1}; return m:hook('L3.resid_pre', print)")?
            .contains("unknown hook point 'L3.resid_pre'") == true)
    }

    @Test func runWithHooksRemovesItsHooks() throws {
        let lua = try gcgapState()
        try lua.run("require 'gcgap.hooks'")
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, seed = 1}
            local b = gc.task.reverse():batch{size = 3, length = {2, 4}, seed = 1}
            local base = m:logits(b)
            local zeroed = m:run_with_hooks(b, {['blocks.0.hook_resid_post'] = function(x) return x * 0 end})
            local after = m:logits(b)
            local ok = pcall(m.run_with_hooks, m, b, {['L0.MLP'] = function() error('boom') end})
            local after_error = m:logits(b)
            local ok2, msg2 = pcall(m.run_with_hooks, m, b, {['L0.H0.pattern'] = function(p) return p end})
            -- replacing a residual stream point: forward passes only, gradients refuse it
            local h = m:hook('L0.resid_mid', function(x) return x end)
            local ok3, msg3 = pcall(m.grad_norms, m, b)
            h:remove()
            return (zeroed - base):norm() > 0, after == base, ok, after_error == base, ok2,
                   msg2:match('can be read, not replaced') ~= nil, ok3, msg3:match('gradients are taken only through') ~= nil
            """)
        #expect(out == ["true", "true", "false", "true", "false", "true", "false", "true"])
    }
}
