import Testing
@testable import GCLua

/// The hook points come from one registry derived from the model's configuration: the names,
/// their order, TransformerLens's names and what may be replaced.
@Suite("Hook-point registry")
struct HookRegistryTests {
    /// The registry's order is the order hooks fire in a forward pass, every name (gcgap's
    /// and TransformerLens's) parses back to its point, and only patterns are read-only.
    @Test func theRegistryIsTheForwardPassesOrder() throws {
        let lua = try gcgapState()
        let out = try lua.evaluate("""
            local m = gc.model{n_layers = 2, n_heads = 3, d_model = 12, d_head = 4, d_mlp = 16, seed = 1}
            local points, seen, handles = gc.hook_points(m), {}, {}
            for _, p in ipairs(points) do
              handles[#handles + 1] = m:hook(p.name, function(out, name) seen[#seen + 1] = name end)
            end
            m:loss(gc.task.reverse():batch{size = 2, length = 3})
            for _, h in ipairs(handles) do h:remove() end
            local same, names_ok, tl_ok, ro = #seen == #points, true, true, {}
            for i, p in ipairs(points) do
              same = same and seen[i] == p.name
              if not p.replaceable then ro[#ro + 1] = p.name:match("[^.]+$") end
              -- a hook on the TransformerLens name lands on the same point
              local h = m:hook(p.tl, function() end); h:remove()
            end
            local uniq = {}
            for _, r in ipairs(ro) do uniq[r] = true end
            return same, #points, next(uniq), table.concat(require("gcgap.hooks").names(m), " ") == table.concat(seen, " ")
            """)
        // per layer: resid_pre, ln1, q/k/v/pattern/z for 3 heads, 3 heads, ATTN, resid_mid, ln2, MLP.pre, MLP.post, MLP, resid_post
        #expect(out == ["true", "56", "pattern", "true"])
    }
}
