import CLua
import CLuaShim
import GCCore

/// Reading `{ablate = {...}, with = "mean" | "zero" | "resample", means = ..., per_position = ...}`.
enum Ablation {
    /// The hooks for an ablation options table at `i` (none when absent).
    static func hooks(_ c: LuaCall, _ i: Int32, model m: Transformer, batch b: TokenBatch) throws -> [(Component, ComponentHook)] {
        guard let (comps, ablation) = try read(c, i, model: m, batch: b) else { return [] }
        return try c.arg(i) { try comps.map { ($0, try m.ablationHook($0, ablation)) } }
    }

    /// The evaluation of `b` under the ablation options at `i` (a plain one without them).
    static func evaluate(_ c: LuaCall, _ i: Int32, model m: Transformer, batch b: TokenBatch) throws -> Transformer.Evaluation {
        guard let (comps, ablation) = try read(c, i, model: m, batch: b) else { return try m.evaluate(b) }
        return try m.evaluateAblated(b, components: comps, ablation: ablation)
    }

    /// The components and the ablation an options table at `i` asks for (nil when none).
    static func read(_ c: LuaCall, _ i: Int32, model m: Transformer, batch b: TokenBatch) throws -> ([Component], GCCore.Ablation)? {
        let o = try c.options(i)
        var comps: [Component] = []
        let t = o.push("ablate")
        if t == LUA_TSTRING {
            let s = c.state.string(at: -1)!
            guard let comp = Component(s) else { c.state.pop(); throw c.argError(i, "option 'ablate': unknown component '\(s)'") }
            comps = [comp]
        } else if t == LUA_TTABLE {
            let n = Int(lua_rawlen(c.L, -1))
            for k in 1...max(n, 1) where k <= n {
                lua_rawgeti(c.L, -1, lua_Integer(k))
                let s = c.state.string(at: -1); c.state.pop()
                guard let s = s, let comp = Component(s) else {
                    c.state.pop(); throw c.argError(i, "option 'ablate': component name expected at index \(k)")
                }
                comps.append(comp)
            }
        } else if t != LUA_TNIL {
            c.state.pop(); throw c.argError(i, "option 'ablate': component name or list expected")
        }
        c.state.pop()
        for comp in comps {
            do { try m.checkComponent(comp) } catch let e as GCError { throw c.argError(i, "option 'ablate': \(e.message)") }
        }
        let with = try o.choice("with", ["mean", "zero", "resample"]) ?? "mean"
        let perPosition = try o.boolean("per_position") ?? false
        let means = try ScoringBinding.meansOption(c, o, i)
        var source: TokenBatch? = nil
        if o.push("source") != LUA_TNIL {
            let call = LuaCall(L: c.L, name: c.name, isMethod: c.isMethod, state: c.state)
            do { source = try call.batch(lua_gettop(c.L)) } catch { c.state.pop(); throw c.argError(i, "option 'source': batch expected") }
        }
        c.state.pop()
        try o.finish()
        if comps.isEmpty { return nil }
        let ablation: GCCore.Ablation
        switch with {
        case "zero": ablation = .zero
        case "resample":
            guard let src = source else { throw c.argError(i, "option 'source': a batch is needed for resample ablation") }
            guard src.rows.map(\.count) == b.rows.map(\.count) else {
                throw c.argError(i, "option 'source': resample ablation needs rows of the same lengths as the batch")
            }
            ablation = .resample(try c.arg(i) { try m.componentOutputs(src, components: comps) })
        default:
            if means != nil && o.has("per_position") {
                throw c.argError(i, "option 'per_position': the means given already fix it (gcgap.means(m, set, {per_position = ...}))")
            }
            ablation = .mean(try c.arg(i) { try means ?? m.componentMeans(b, perPosition: perPosition, components: comps) })
        }
        try c.arg(i) { for comp in comps { _ = try m.ablationHook(comp, ablation) } }   // (checks the means)
        return (comps, ablation)
    }
}

/// Means as a userdata, so they can be computed on one set and used on another.
public final class MeansBox { public let value: ComponentMeans; public init(_ v: ComponentMeans) { value = v } }

enum MeansBinding {
    static let type = UserdataType<MeansBox>("gcgap.means", display: "means")
    static func register(_ lua: LuaState) {
        lua.registerType(type, methods: [
            ("get", { c in
                let m = try c.object(1, type).value
                let comp = try c.component(2)
                guard let v = m.values[comp] else { throw c.argError(2, "no mean for \(comp)") }
                let width = v.count / Swift.max(m.positions, 1)
                c.state.pushTensor(try Tensor(shape: m.perPosition ? [m.positions, width] : [width], data: v))
                return 1 }),
        ], metamethods: [
            ("__tostring", { c in
                let m = try c.object(1, type).value
                c.state.push("means(\(m.values.count) components\(m.perPosition ? ", per position" : ""))"); return 1 }),
        ])
    }
    static func functions() -> [(String, LuaFunction)] {
        [("means", { c in
            let m = try c.object(1, GCTypes.model), b = try c.batch(2, for: m)
            let o = try c.options(3)
            let pp = try o.boolean("per_position") ?? false
            var comps = m.config.components
            if o.push("components") != LUA_TNIL {
                comps = try c.stringList(lua_gettop(c.L)).enumerated().map { k, name in
                    guard let comp = Component(name) else { c.state.pop(); throw c.argError(3, "option 'components': unknown component '\(name)' at index \(k + 1)") }
                    return comp
                }
            }
            c.state.pop()
            if try o.boolean("z") ?? false {
                comps += (0..<m.config.nLayers).flatMap { l in (0..<m.config.nHeads).map { Component.headZ(layer: l, head: $0) } }
            }
            try o.finish()
            let means = try c.arg(3) { try m.componentMeans(b, perPosition: pp, components: comps) }
            c.state.pushObject(MeansBox(means), type)
            return 1 })]
    }
}
