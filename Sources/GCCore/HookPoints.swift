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

extension Transformer {
    /// The hook names (gcgap's and TransformerLens's) closest to `name` by edit distance, at
    /// most `limit`, for a "did you mean" (nothing when none is within a third of its length).
    public func closestHookNames(to name: String, limit: Int = 2) -> [String] {
        let target = Array(name.utf8)
        guard target.count <= 200 else { return [] }
        var names: [String] = []
        for p in hookPoints { names.append(p.name); names.append(p.transformerLens) }
        let bound = max(2, target.count / 3)
        var scored: [(name: String, distance: Int)] = []
        for n in names {
            let d = Transformer.editDistance(Array(n.utf8), target)
            if d <= bound { scored.append((n, d)) }
        }
        scored.sort { a, b in a.distance < b.distance || (a.distance == b.distance && a.name < b.name) }
        return scored.prefix(limit).map { $0.name }
    }

    /// Levenshtein distance of two byte strings.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(1, a.count) where i <= a.count {
            cur[0] = i
            for j in 1...max(1, b.count) where j <= b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
