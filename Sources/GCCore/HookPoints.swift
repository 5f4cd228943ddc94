/// A hook point of a model: where a hook can see (and, unless it is an attention pattern,
/// replace) an activation.
public struct HookPoint {
    public let component: Component
    /// gcgap's name (`L1.resid_pre`, `L0.H1.q`, `L2.H3`, `embed`).
    public var name: String { component.description }
    /// TransformerLens's name (`blocks.1.hook_resid_pre`, `blocks.0.attn.hook_q[1]`).
    public var transformerLens: String { component.transformerLensName }
    /// The width of a row (d_model, d_head or d_mlp); 0 for a pattern (n × n per sequence).
    public let width: Int
    /// Whether a hook may replace it (attention patterns can only be read).
    public var replaceable: Bool { width > 0 }
}

extension Component {
    /// Every hook point of a model of this configuration (the enumeration of the kinds; the
    /// order is `<`'s, the order a forward pass meets them).
    static func all(_ c: ModelConfig) -> [Component] {
        var out: [Component] = [.site(.embed, layer: -1, head: -1), .site(.lnFinal, layer: Int.max, head: -1)]
        for l in 0..<c.nLayers {
            out += [.attention(layer: l), .mlp(layer: l)]
            for s in Site.allCases where !s.global {
                if s.perHead { out += (0..<c.nHeads).map { .site(s, layer: l, head: $0) } } else { out.append(.site(s, layer: l, head: -1)) }
            }
            for h in 0..<c.nHeads { out += [.head(layer: l, head: h), .headZ(layer: l, head: h)] }
        }
        return out.sorted()
    }

    /// TransformerLens's hook name (the inverse of `init?(transformerLens:)`).
    public var transformerLensName: String {
        switch self {
        case .head(let l, let h): return "blocks.\(l).attn.hook_result[\(h)]"
        case .headZ(let l, let h): return "blocks.\(l).attn.hook_z[\(h)]"
        case .mlp(let l): return "blocks.\(l).hook_mlp_out"
        case .attention(let l): return "blocks.\(l).hook_attn_out"
        case .site(let s, let l, let h):
            switch s {
            case .embed: return "hook_embed"
            case .lnFinal: return "ln_final.hook_normalized"
            case .q, .k, .v, .pattern: return "blocks.\(l).attn.hook_\(s.rawValue)[\(h)]"
            case .ln1, .ln2: return "blocks.\(l).\(s.rawValue).hook_normalized"
            case .mlpPre: return "blocks.\(l).mlp.hook_pre"
            case .mlpPost: return "blocks.\(l).mlp.hook_post"
            case .residPre, .residMid, .residPost: return "blocks.\(l).hook_\(s.rawValue)"
            }
        }
    }
}

extension Transformer {
    /// Every hook point of this model, in the order a forward pass meets them: derived from
    /// the configuration, as TransformerLens derives its hook points from the model.
    public var hookPoints: [HookPoint] {
        Component.all(config).map { HookPoint(component: $0, width: width(of: $0)) }
    }
}
