/// The shape of a transformer, with PROTOCOL.md's values as defaults.
public struct ModelConfig: Equatable, CustomStringConvertible {
    public enum Activation: String, CaseIterable { case gelu, relu }
    public enum Positions: String, CaseIterable { case none, learned }

    public var nLayers = 4
    public var nHeads = 4
    public var dModel = 128
    public var dHead = 32
    public var dMLP = 512
    public var nCtx = 64
    public var dVocab = 104
    public var activation = Activation.gelu
    public var positions = Positions.none
    public var lnEps: Float = 1e-5

    public init() {}

    /// Throws when a size is out of range, naming it.
    public func validate() throws {
        let sizes: [(String, Int, Int)] = [("n_layers", nLayers, 64), ("n_heads", nHeads, 256),
                                           ("d_model", dModel, 16384), ("d_head", dHead, 4096),
                                           ("d_mlp", dMLP, 65536), ("n_ctx", nCtx, 65536),
                                           ("d_vocab", dVocab, 1 << 20)]
        for (name, v, hi) in sizes where v < 1 || v > hi {
            throw GCError("\(name) must be in 1..\(hi), got \(v)")
        }
        guard lnEps > 0, lnEps.isFinite else { throw GCError("eps must be a positive number, got \(lnEps)") }
        let perLayer = 4 * dModel + 4 * nHeads * dHead * dModel + 3 * nHeads * dHead + 2 * dModel * dMLP + dMLP + 2 * dModel
        let total = Double(nLayers) * Double(perLayer) + Double(dVocab * dModel) * 2 + Double(nCtx * dModel) + Double(dVocab + 2 * dModel)
        guard total <= Double(1 << 30) else {
            throw GCError("a model of \(Int(total)) parameters is beyond gcgap's limit of \(1 << 30)")
        }
    }

    /// Component names in PROTOCOL order: L0.H0 .. L0.H{H-1}, L0.MLP, L1.H0, ...
    public var components: [Component] {
        var out: [Component] = []
        for l in 0..<nLayers {
            for h in 0..<nHeads { out.append(.head(layer: l, head: h)) }
            out.append(.mlp(layer: l))
        }
        return out
    }

    public var description: String {
        "n_layers=\(nLayers) n_heads=\(nHeads) d_model=\(dModel) d_head=\(dHead) d_mlp=\(dMLP) "
            + "n_ctx=\(nCtx) d_vocab=\(dVocab) act=\(activation.rawValue) positions=\(positions.rawValue)"
    }
}

/// A component whose output can be scored and ablated: an attention head's `result_h`
/// (its contribution to the residual stream, z_h·W_O[h]) or an MLP's `mlp_out`.
///
/// Two more hook points exist for interventions (they are not among the 20 scored
/// components): a head's pre-W_O output z_h (`L2.H3.z`, d_head wide) and a layer's whole
/// attention output Σ_h result_h + b_O (`L2.ATTN`).
public enum Component: Hashable, CustomStringConvertible, Comparable {
    case head(layer: Int, head: Int)
    case mlp(layer: Int)
    case headZ(layer: Int, head: Int)
    case attention(layer: Int)
    /// One of TransformerLens's other hook points (`Site`): `head` is -1 where the site is
    /// per layer, `layer` -1 for the embedding and `n_layers` for the final LayerNorm.
    case site(Site, layer: Int, head: Int)

    /// TransformerLens's hook points other than the four above, by gcgap name.
    public enum Site: String, CaseIterable {
        case embed = "embed"
        case residPre = "resid_pre", ln1 = "ln1"
        case q = "q", k = "k", v = "v", pattern = "pattern"
        case residMid = "resid_mid", ln2 = "ln2"
        case mlpPre = "MLP.pre", mlpPost = "MLP.post"
        case residPost = "resid_post"
        case lnFinal = "ln_final"

        /// Sites with one output per head.
        public var perHead: Bool { self == .q || self == .k || self == .v || self == .pattern }
        /// Sites outside the blocks.
        public var global: Bool { self == .embed || self == .lnFinal }
    }

    public var layer: Int {
        switch self {
        case .head(let l, _), .headZ(let l, _): return l
        case .mlp(let l), .attention(let l): return l
        case .site(_, let l, _): return l
        }
    }

    /// True for the 20 scored kinds of output and the two intervention points whose
    /// replacement the backward pass understands (it treats them as constants).
    public var isComponentOutput: Bool {
        if case .site = self { return false }
        return true
    }

    /// "L2.H3", "L2.MLP", "L2.H3.z", "L2.ATTN", "L1.resid_pre", "L0.H1.pattern", "L3.MLP.pre",
    /// "embed", "ln_final".
    public var description: String {
        switch self {
        case .head(let l, let h): return "L\(l).H\(h)"
        case .mlp(let l): return "L\(l).MLP"
        case .headZ(let l, let h): return "L\(l).H\(h).z"
        case .attention(let l): return "L\(l).ATTN"
        case .site(let s, let l, let h):
            if s.global { return s.rawValue }
            if s.perHead { return "L\(l).H\(h).\(s.rawValue)" }
            return "L\(l).\(s.rawValue)"
        }
    }

    /// Parses the names above (MLP, ATTN and z case-insensitive), and TransformerLens's
    /// hook names for one activation (`blocks.1.hook_mlp_out`, `blocks.0.attn.hook_z[1]`,
    /// `blocks.2.attn.hook_result[3]`, `ln_final.hook_normalized`, `hook_embed`).
    public init?(_ name: String) {
        if let c = Component(transformerLens: name) { self = c; return }
        if name == "embed" { self = .site(.embed, layer: -1, head: -1); return }
        if name == "ln_final" { self = .site(.lnFinal, layer: Int.max, head: -1); return }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 3, parts[0].first == "L", let l = Int(parts[0].dropFirst()), l >= 0, l < 1 << 16 else { return nil }
        let rest = parts[1...].joined(separator: ".")
        if parts.count == 2 && parts[1].uppercased() == "MLP" { self = .mlp(layer: l); return }
        if parts.count == 2 && parts[1].uppercased() == "ATTN" { self = .attention(layer: l); return }
        if let s = Site(rawValue: rest), !s.perHead, !s.global { self = .site(s, layer: l, head: -1); return }
        if rest.uppercased() == "MLP.PRE" { self = .site(.mlpPre, layer: l, head: -1); return }
        if rest.uppercased() == "MLP.POST" { self = .site(.mlpPost, layer: l, head: -1); return }
        guard parts[1].first == "H", let h = Int(parts[1].dropFirst()), h >= 0, h < 1 << 16 else { return nil }
        if parts.count == 3 {
            if parts[2].lowercased() == "z" { self = .headZ(layer: l, head: h); return }
            guard let s = Site(rawValue: String(parts[2])), s.perHead else { return nil }
            self = .site(s, layer: l, head: h)
        } else {
            self = .head(layer: l, head: h)
        }
    }

    /// TransformerLens hook names: per-head ones need the head as `[h]`.
    init?(transformerLens name: String) {
        if name == "hook_embed" { self = .site(.embed, layer: -1, head: -1); return }
        if name == "ln_final.hook_normalized" { self = .site(.lnFinal, layer: Int.max, head: -1); return }
        guard name.hasPrefix("blocks.") else { return nil }
        var rest = name.dropFirst(7)
        let digits = rest.prefix { $0.isNumber }
        guard let l = Int(digits), l < 1 << 16 else { return nil }
        rest = rest.dropFirst(digits.count)
        var head: Int? = nil
        if rest.hasSuffix("]"), let open = rest.lastIndex(of: "[") {
            guard let h = Int(rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]), h >= 0, h < 1 << 16 else { return nil }
            head = h
            rest = rest[..<open]
        }
        let perLayer: [String: Component] = [
            ".hook_resid_pre": .site(.residPre, layer: l, head: -1), ".ln1.hook_normalized": .site(.ln1, layer: l, head: -1),
            ".hook_attn_out": .attention(layer: l), ".hook_resid_mid": .site(.residMid, layer: l, head: -1),
            ".ln2.hook_normalized": .site(.ln2, layer: l, head: -1), ".mlp.hook_pre": .site(.mlpPre, layer: l, head: -1),
            ".mlp.hook_post": .site(.mlpPost, layer: l, head: -1), ".hook_mlp_out": .mlp(layer: l),
            ".hook_resid_post": .site(.residPost, layer: l, head: -1),
        ]
        if head == nil, let c = perLayer[String(rest)] { self = c; return }
        guard let h = head else { return nil }
        switch rest {
        case ".attn.hook_q": self = .site(.q, layer: l, head: h)
        case ".attn.hook_k": self = .site(.k, layer: l, head: h)
        case ".attn.hook_v": self = .site(.v, layer: l, head: h)
        case ".attn.hook_pattern": self = .site(.pattern, layer: l, head: h)
        case ".attn.hook_z": self = .headZ(layer: l, head: h)
        case ".attn.hook_result": self = .head(layer: l, head: h)
        default: return nil
        }
    }

    /// Order: as a forward pass meets them.
    public static func < (a: Component, b: Component) -> Bool {
        func key(_ c: Component) -> (Int, Int, Int) {
            switch c {
            case .site(let s, let l, let h):
                let order: [Site: Int] = [.embed: 0, .residPre: 0, .ln1: 1, .q: 2, .k: 3, .v: 4, .pattern: 5,
                                          .residMid: 9, .ln2: 10, .mlpPre: 11, .mlpPost: 12, .residPost: 14, .lnFinal: 0]
                return (s == .embed ? -1 : l, order[s]!, h)
            case .headZ(let l, let h): return (l, 6, h)
            case .head(let l, let h): return (l, 7, h)
            case .attention(let l): return (l, 8, 0)
            case .mlp(let l): return (l, 13, 0)
            }
        }
        return key(a) < key(b)
    }
}
