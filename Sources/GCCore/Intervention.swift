/// The kinds of ablation, by the names a user gives them.
public enum AblationKind: String, CaseIterable {
    /// Each component's output replaced by its mean over a set (the protocol's).
    case mean
    /// By zero.
    case zero
    /// By its output on another batch of the same row lengths.
    case resample
}

/// An ablation as asked for, before it is resolved against a model and a set: the one
/// place where the kind, the means (given or computed), the resample source and the public
/// code's z-slice defect are turned into hooks.
public struct AblationRequest {
    public var kind: AblationKind
    /// Means to ablate with (from another set); nil: the set's own.
    public var means: ComponentMeans?
    /// One mean per position, when the means are computed here (nil: not said).
    public var perPosition: Bool?
    /// The batch whose outputs a resample ablation substitutes.
    public var source: TokenBatch?
    /// The public code's head-ablation defect (`Transformer.zSliceDefectHook`).
    public var zSliceDefect: Bool

    public init(kind: AblationKind = .mean, means: ComponentMeans? = nil, perPosition: Bool? = nil,
                source: TokenBatch? = nil, zSliceDefect: Bool = false) {
        self.kind = kind; self.means = means; self.perPosition = perPosition
        self.source = source; self.zSliceDefect = zSliceDefect
    }

    /// An error about one field of the request ("option 'source': ...").
    static func problem(_ field: String, _ what: String) -> GCError { GCError("option '\(field)': \(what)") }
}

/// A resolved ablation: what replaces each component's output, and how its hook is built.
public struct ResolvedAblation {
    public var ablation: Ablation
    /// Builds a component's hook when it is not `ablationHook` (the z-slice defect's heads).
    public var hookFor: ((Component) throws -> (Component, ComponentHook))?
}

extension Transformer {
    /// Resolves `request` for ablating `components` on the set `b`: checks the request
    /// against the model and the set, computes the means or resampled outputs it needs, and
    /// checks that every component has a hook.
    public func resolve(_ request: AblationRequest, on b: TokenBatch, components: [Component]) throws -> ResolvedAblation {
        if request.zSliceDefect && request.kind != .mean { throw AblationRequest.problem("zslice_defect", "applies to mean ablation only") }
        let resolved: ResolvedAblation
        switch request.kind {
        case .zero: resolved = ResolvedAblation(ablation: .zero, hookFor: nil)
        case .resample: resolved = ResolvedAblation(ablation: .resample(try resampled(request, on: b, components)), hookFor: nil)
        case .mean: resolved = try meanAblation(request, on: b, components)
        }
        if resolved.hookFor == nil { for c in components { _ = try ablationHook(c, resolved.ablation) } }
        return resolved
    }

    /// The source's outputs for a resample ablation of `b`.
    private func resampled(_ r: AblationRequest, on b: TokenBatch, _ comps: [Component]) throws -> [Component: [Float]] {
        guard let src = r.source else {
            throw AblationRequest.problem("source", "a batch of the same row lengths is needed for resample ablation")
        }
        guard src.rows.map(\.count) == b.rows.map(\.count) else {
            throw AblationRequest.problem("source", "resample ablation needs rows of the same lengths as the set")
        }
        return try componentOutputs(src, components: comps)
    }

    /// Mean ablation: the means given or the set's own, and the defect's hooks when asked.
    private func meanAblation(_ r: AblationRequest, on b: TokenBatch, _ comps: [Component]) throws -> ResolvedAblation {
        let zs = r.zSliceDefect ? (0..<config.nLayers).flatMap { l in (0..<config.nHeads).map { Component.headZ(layer: l, head: $0) } } : []
        let mu = try r.means ?? componentMeans(b, perPosition: r.perPosition ?? false, components: comps + zs)
        guard r.zSliceDefect else {
            if r.means != nil && r.perPosition != nil {
                throw AblationRequest.problem("per_position", "the means given already fix it (gcgap.means(m, set, {per_position = ...}))")
            }
            return ResolvedAblation(ablation: .mean(mu), hookFor: nil)
        }
        if let missing = zs.first(where: { mu.values[$0] == nil }) {
            throw AblationRequest.problem("means", "no mean for \(missing); the z-slice defect needs gcgap.means(m, set, {z = true})")
        }
        let hookFor: (Component) throws -> (Component, ComponentHook) = { [unowned self] comp in
            if case .head = comp { return try self.zSliceDefectHook(comp, means: mu) }
            return (comp, try self.ablationHook(comp, .mean(mu)))
        }
        for c in comps { _ = try hookFor(c) }
        return ResolvedAblation(ablation: .mean(mu), hookFor: hookFor)
    }
}
