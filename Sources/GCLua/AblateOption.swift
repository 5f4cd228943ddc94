import CLua
import CLuaShim
import GCCore

/// Reading `{ablate = {...}, with = "mean" | "zero" | "resample", means = ..., per_position = ...}`.
enum AblateOption {
    /// The hooks for an ablation options table at `i` (none when absent).
    static func hooks(_ c: LuaCall, _ i: Int32, model m: Transformer, batch b: TokenBatch) throws -> [(Component, ComponentHook)] {
        guard let (comps, ablation) = try read(c, i, try c.options(i), model: m, batch: b) else { return [] }
        return try c.arg(i) { try comps.map { ($0, try m.ablationHook($0, ablation)) } }
    }

    /// The evaluation of `b` under the ablation options at `i` (a plain one without them);
    /// with `metric`, the option `metric = {"logit_diff", ...}` adds TransformerLens's logit
    /// difference (`m:evaluate`).
    static func evaluate(_ c: LuaCall, _ i: Int32, model m: Transformer, batch b: TokenBatch,
                         metric: Bool = false) throws -> Transformer.Evaluation {
        let o = try c.options(i)
        let b = metric ? try MetricOption.contrastOnly(c, o, i).on(c, i, b, model: m) : b
        guard let (comps, ablation) = try read(c, i, o, model: m, batch: b) else { return try m.evaluate(b) }
        return try m.evaluateAblated(b, components: comps, ablation: ablation)
    }

    /// The components and the ablation an options table at `i` asks for (nil when none):
    /// `{ablate = name or list, ablation = "mean" | ... (alias with), means =, per_position =, source =}`.
    static func read(_ c: LuaCall, _ i: Int32, _ o: LuaOptions, model m: Transformer, batch b: TokenBatch) throws -> ([Component], Ablation)? {
        let comps = try c.components(o, "ablate", model: m, single: true) ?? []
        let request = try InterventionOptions.request(c, o, i, model: nil)
        try o.finish()
        if comps.isEmpty { return nil }
        let r = try InterventionOptions.resolve(c, i, request, model: m, batch: b, components: comps)
        return (comps, r.ablation)
    }
}

/// Means as a userdata, so they can be computed on one set and used on another.
public final class MeansBox { public let value: ComponentMeans; public init(_ v: ComponentMeans) { value = v } }

enum MeansBinding {
    static let type = UserdataType<MeansBox>("gcgap.means", display: "means")
    static func meanOf(_ c: LuaCall) throws -> Int32 {
        let m = try c.object(1, type).value
        let comp = try c.component(2)
        guard let v = m.values[comp] else { throw c.argError(2, "no mean for \(comp)") }
        let width = v.count / Swift.max(m.positions, 1)
        c.state.pushTensor(try Tensor(shape: m.perPosition ? [m.positions, width] : [width], data: v))
        return 1
    }

    static func describeMeans(_ c: LuaCall) throws -> Int32 {
        let m = try c.object(1, type).value
        c.state.push("means(\(m.values.count) components\(m.perPosition ? ", per position" : ""))"); return 1
    }

    static func means(_ c: LuaCall) throws -> Int32 {
        let m = try ModelBinding.passModel(c), b = try c.batch(2, for: m)
        let o = try c.options(3)
        let pp = try o.boolean("per_position") ?? false
        var comps = try c.components(o, "components", model: m) ?? m.config.components
        if try o.boolean("z") ?? false {
            let zs = (0..<m.config.nLayers).flatMap { l in (0..<m.config.nHeads).map { Component.headZ(layer: l, head: $0) } }
            comps += zs.filter { !comps.contains($0) }
        }
        try o.finish()
        let means = try c.arg(3) { try m.componentMeans(b, perPosition: pp, components: comps) }
        c.state.pushObject(MeansBox(means), type)
        return 1
    }

    static func register(_ lua: LuaState) {
        lua.registerType(type, methods: [
            ("get", meanOf),
        ], metamethods: [
            ("__tostring", describeMeans),
        ])
    }
    static func functions() -> [(String, LuaFunction)] {
        [("means", means)]
    }
}
