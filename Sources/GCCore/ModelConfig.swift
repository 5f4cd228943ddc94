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

    public var layer: Int {
        switch self {
        case .head(let l, _), .headZ(let l, _): return l
        case .mlp(let l), .attention(let l): return l
        }
    }

    /// "L2.H3", "L2.MLP", "L2.H3.z" or "L2.ATTN".
    public var description: String {
        switch self {
        case .head(let l, let h): return "L\(l).H\(h)"
        case .mlp(let l): return "L\(l).MLP"
        case .headZ(let l, let h): return "L\(l).H\(h).z"
        case .attention(let l): return "L\(l).ATTN"
        }
    }

    /// Parses the names above (MLP, ATTN and z case-insensitive).
    public init?(_ name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0].first == "L", let l = Int(parts[0].dropFirst()), l >= 0 else { return nil }
        if parts.count == 2 && parts[1].uppercased() == "MLP" { self = .mlp(layer: l); return }
        if parts.count == 2 && parts[1].uppercased() == "ATTN" { self = .attention(layer: l); return }
        guard parts[1].first == "H", let h = Int(parts[1].dropFirst()), h >= 0 else { return nil }
        if parts.count == 3 {
            guard parts[2].lowercased() == "z" else { return nil }
            self = .headZ(layer: l, head: h)
        } else {
            self = .head(layer: l, head: h)
        }
    }

    /// Order: by layer; in a layer z_h, heads, the attention output, then the MLP.
    public static func < (a: Component, b: Component) -> Bool {
        func key(_ c: Component) -> (Int, Int, Int) {
            switch c {
            case .headZ(let l, let h): return (l, 0, h)
            case .head(let l, let h): return (l, 1, h)
            case .attention(let l): return (l, 2, 0)
            case .mlp(let l): return (l, 3, 0)
            }
        }
        return key(a) < key(b)
    }
}
