import CLua
import CLuaShim
import GCCore

/// `gcgap.tensor`: float32 tensors in Lua. Indices are 1-based, as everywhere in Lua.
enum TensorBinding {
    static func register(_ lua: LuaState) {
        func this(_ c: LuaCall) throws -> Tensor { try c.tensor(1) }
        let methods: [(String, LuaFunction)] = [
            ("shape", { c in c.state.pushIntegerList(try this(c).shape); return 1 }),
            ("numel", { c in c.state.push(try this(c).count); return 1 }),
            ("dim", { c in c.state.push(try this(c).rank); return 1 }),
            ("sum", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { c.state.push(Double(t.sum())); return 1 }
                c.state.pushTensor(try c.arg(2) { try t.sum(axis: axis) }); return 1 }),
            ("mean", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { c.state.push(Double(t.mean())); return 1 }
                c.state.pushTensor(try c.arg(2) { try t.mean(axis: axis) }); return 1 }),
            ("norm", { c in c.state.push(Double(try this(c).norm())); return 1 }),
            ("max", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { c.state.push(Double(t.max())); return 1 }
                let r = try c.arg(2) { try t.max(axis: axis) }
                c.state.pushTensor(r.values); c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 2 }),
            ("min", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { c.state.push(Double(t.min())); return 1 }
                let r = try c.arg(2) { try t.min(axis: axis) }
                c.state.pushTensor(r.values); c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 2 }),
            ("argmax", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else {
                    guard let i = t.argmax() else { c.state.pushNil(); return 1 }
                    c.state.push(i + 1); return 1
                }
                let r = try c.arg(2) { try t.max(axis: axis) }
                c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 1 }),
            ("argmin", { c in
                let t = try this(c)
                guard let axis = try axisArg(c, t) else {
                    guard !t.data.isEmpty else { c.state.pushNil(); return 1 }
                    let i = t.data.indices.min { t.data[$0] < t.data[$1] || (t.data[$0] == t.data[$1] && $0 < $1) }!
                    c.state.push(i + 1); return 1
                }
                let r = try c.arg(2) { try t.min(axis: axis) }
                c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 1 }),
            ("matmul", { c in
                let a = try this(c), b = try c.tensor(2)
                c.state.pushTensor(try c.arg(2) { try a.matmul(b) }); return 1 }),
            ("t", { c in let t = try this(c); c.state.pushTensor(try c.arg(1) { try t.transposed() }); return 1 }),
            ("reshape", { c in
                let t = try this(c)
                var shape: [Int] = []
                if c.type(2) == LUA_TTABLE {
                    shape = try c.integerList(2)
                } else {
                    for i in 2...max(2, c.count) where i <= c.count { shape.append(try c.integer(i)) }
                }
                c.state.pushTensor(try c.arg(2) { try t.reshaped(shape) }); return 1 }),
            ("slice", { c in
                // t:slice(d, i [, j]): indices i..j along dimension d (1-based, inclusive;
                // negative from the end, as string.sub)
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { throw c.typeError(2, "number") }
                let n = t.shape[axis]
                func pos(_ v: Int) -> Int { v < 0 ? n + v + 1 : v }
                let i = pos(try c.integer(3)), j = pos(try c.optionalInteger(4) ?? -1)
                let lo = Swift.min(Swift.max(i, 1), n + 1), hi = Swift.min(j, n) // clamped, as string.sub
                c.state.pushTensor(try c.arg(3) { try t.slice(axis: axis, lo - 1, Swift.max(hi, lo - 1)) }); return 1 }),
            ("index", { c in
                // t:index(d, {i1, i2, ...}): the entries at those indices along dimension d
                let t = try this(c)
                guard let axis = try axisArg(c, t) else { throw c.typeError(2, "number") }
                // 1-based to 0-based; Int.min (no 0-based form) becomes an out-of-range index
                let idx = try c.integerList(3).map { $0 == Int.min ? -1 : $0 - 1 }
                c.state.pushTensor(try c.arg(3) { try t.gather(axis: axis, idx) }); return 1 }),
            ("save_npy", { c in
                let t = try this(c), path = try c.path(2)
                try c.arg(2) { try FileIO.writeAtomically(t.npy, to: path) }
                return 0 }),
            ("clone", { c in c.state.pushTensor(try this(c)); return 1 }),
            ("get", { c in
                let t = try this(c)
                var idx: [Int] = []
                for i in 2...max(2, c.count) where i <= c.count {
                    // 1-based, checked here (math.mininteger - 1 would overflow)
                    let v = try c.integer(i), k = Int(i) - 2
                    if k < t.shape.count, v < 1 || v > t.shape[k] {
                        throw c.argError(i, "index \(v) out of range for dimension \(k + 1) of size \(t.shape[k])")
                    }
                    idx.append(v - 1)
                }
                c.state.push(Double(try c.arg(2) { try t.value(at: idx) })); return 1 }),
            ("totable", { c in pushTable(c.state, try this(c)); return 1 }),
            ("map", { c in
                let t = try this(c)
                try c.function(2)
                let fn = c.state.reference(at: 2)
                var out = t.data
                for i in 0..<out.count {
                    try c.state.protectedCall(fn, results: 1) { c.state.push(Double(out[i])); return 1 }
                    guard lua_type(c.L, -1) == LUA_TNUMBER else {
                        let got = c.state.typeName(at: -1); c.state.pop()
                        throw c.argError(2, "function must return a number, got \(got)")
                    }
                    out[i] = Float(lua_tonumberx(c.L, -1, nil)); c.state.pop()
                }
                c.state.pushTensor(try c.arg(2) { try Tensor(shape: t.shape, data: out) }); return 1 }),
        ]
        func arith(_ op: Tensor.Op) -> LuaFunction {
            { c in
                let a = try c.tensor(1, allowNumber: true), b = try c.tensor(2, allowNumber: true)
                c.state.pushTensor(try c.arg(2) { try Tensor.elementwise(a, op, b) })
                return 1
            }
        }
        let metamethods: [(String, LuaFunction)] = [
            ("__add", arith(.add)), ("__sub", arith(.sub)), ("__mul", arith(.mul)), ("__div", arith(.div)),
            ("__pow", arith(.pow)),
            ("__unm", { c in c.state.pushTensor(Tensor.elementwise(scalar: 0, .sub, try c.tensor(1))); return 1 }),
            ("__len", { c in let t = try c.tensor(1); c.state.push(t.rank == 0 ? 0 : t.shape[0]); return 1 }),
            ("__eq", { c in
                let a = c.state.object(at: 1, GCTypes.tensor), b = c.state.object(at: 2, GCTypes.tensor)
                c.state.push(a != nil && b != nil && a!.value == b!.value); return 1 }),
            ("__tostring", { c in c.state.push(try c.tensor(1).description); return 1 }),
        ]
        lua.registerType(GCTypes.tensor, methods: methods, metamethods: metamethods) { c, box in
            // t[i]: a number for a 1-d tensor, a sub-tensor otherwise.
            guard c.type(2) == LUA_TNUMBER else { c.state.pushNil(); return 1 }
            let t = box.value
            let i = try c.integer(2)
            guard t.rank >= 1, i >= 1, i <= t.shape[0] else {
                throw c.argError(2, "tensor index \(i) out of range (1..\(t.rank >= 1 ? t.shape[0] : 0))")
            }
            if t.rank == 1 { c.state.push(Double(t.data[i - 1])) } else { c.state.pushTensor(try c.arg(2) { try t.slice(i - 1) }) }
            return 1
        }
    }

    /// The optional dimension argument #1 of a reduction (1-based in Lua), 0-based.
    static func axisArg(_ c: LuaCall, _ t: Tensor) throws -> Int? {
        guard let d = try c.optionalInteger(2) else { return nil }
        guard d >= 1 && d <= t.rank else {
            throw c.argError(2, t.rank == 0 ? "a 0-d tensor has no dimension \(d)" : "dimension \(d) out of range 1..\(t.rank)")
        }
        return d - 1
    }

    /// 0-based indices as a tensor of 1-based ones (Lua's convention).
    static func indexTensor(_ shape: [Int], _ indices: [Int]) -> Tensor {
        (try? Tensor(shape: shape, data: indices.map { Float($0 + 1) })) ?? Tensor(scalar: 0)
    }

    static func pushTable(_ s: LuaState, _ t: Tensor) {
        if t.rank == 0 { s.push(Double(t.data[0])); return }
        let st = t.strides
        func rec(_ dim: Int, _ off: Int) {
            let n = t.shape[dim]
            s.newTable(array: n)
            for i in 0..<n {
                if dim == t.rank - 1 { s.push(Double(t.data[off + i])) } else { rec(dim + 1, off + i * st[dim]) }
                s.setIndex(-2, i + 1)
            }
        }
        rec(0, 0)
    }

    /// Module functions: tensor, zeros, ones, randn.
    static func functions() -> [(String, LuaFunction)] {
        func shapeArg(_ c: LuaCall, _ i: Int32) throws -> [Int] {
            if c.type(i) == LUA_TNUMBER { return [try c.integer(i)] }
            let t = try c.tensorFromTable(i)
            return try t.data.map { v -> Int in
                guard v.isFinite, v >= 0, v == v.rounded(), v < 1e9 else { throw c.argError(i, "shape: non-negative integers expected, got \(v)") }
                return Int(v)
            }
        }
        return [
            ("tensor", { c in
                if c.type(1) == LUA_TNUMBER { c.state.pushTensor(Tensor(scalar: Float(try c.number(1)))); return 1 }
                if let t = c.state.object(at: 1, GCTypes.tensor) { c.state.pushTensor(t.value); return 1 }
                c.state.pushTensor(try c.tensorFromTable(1)); return 1 }),
            ("zeros", { c in let s = try shapeArg(c, 1); c.state.pushTensor(try c.arg(1) { try Tensor(shape: s, repeating: 0) }); return 1 }),
            ("ones", { c in let s = try shapeArg(c, 1); c.state.pushTensor(try c.arg(1) { try Tensor(shape: s, repeating: 1) }); return 1 }),
            ("randn", { c in
                let shape = try shapeArg(c, 1)
                var rng = Rng(seed: UInt64(bitPattern: Int64(try c.optionalInteger(2) ?? 0)), stream: "randn")
                var t = try c.arg(1) { try Tensor(shape: shape) }
                for i in 0..<t.count {
                    if i & 0xFFFFF == 0xFFFFF, gcshim_interrupt_pending() != 0 { gcshim_interrupt_clear(); throw GCError.interrupted }
                    t.data[i] = rng.normal()
                }
                c.state.pushTensor(t); return 1 }),
            ("stack", { c in
                try c.table(1)
                let n = c.rawLength(1)
                guard n >= 1, n <= 1 << 20 else { throw c.argError(1, "a list of 1 or more tensors expected") }
                var list: [Tensor] = []
                for k in 1...n {
                    lua_rawgeti(c.L, 1, lua_Integer(k))
                    defer { c.state.pop() }
                    guard let t = c.state.object(at: -1, GCTypes.tensor) else {
                        throw c.argError(1, "tensor expected at index \(k), got \(c.state.typeName(at: -1))")
                    }
                    list.append(t.value)
                }
                let d = try c.optionalInteger(2) ?? 1
                guard d >= 1 && d <= list[0].rank + 1 else { throw c.argError(2, "dimension \(d) out of range 1..\(list[0].rank + 1)") }
                c.state.pushTensor(try c.arg(1) { try Tensor.stack(list, axis: d - 1) }); return 1 }),
            ("load_npy", { c in
                let path = try c.path(1)
                c.state.pushTensor(try c.arg(1) { try Tensor(npy: try FileIO.read(path)) }); return 1 }),
            ("is_tensor", { c in c.state.push(c.state.object(at: 1, GCTypes.tensor) != nil); return 1 }),
            ("save_tensors", { c in
                let path = try c.path(1)
                try c.table(2)
                var list: [(String, Tensor)] = []
                lua_pushnil(c.L)
                while lua_next(c.L, 2) != 0 {
                    defer { c.state.pop() }
                    guard lua_type(c.L, -2) == LUA_TSTRING else { c.state.pop(); throw c.argError(2, "tensor names (string keys) expected") }
                    var len = 0
                    let raw = lua_tolstring(c.L, -2, &len)!
                    guard let name = String(validating: UnsafeRawBufferPointer(start: raw, count: len), as: UTF8.self) else {
                        c.state.pop(); throw c.argError(2, "tensor names must be UTF-8 text (a safetensors header is JSON)")
                    }
                    guard name != "__metadata__", !name.isEmpty else {
                        c.state.pop(); throw c.argError(2, "'\(name)' cannot be a tensor name (reserved by the safetensors format)")
                    }
                    guard let t = c.state.object(at: -1, GCTypes.tensor) else {
                        let got = c.state.typeName(at: -1); c.state.pop(2)
                        throw c.argError(2, "'\(name)': tensor expected, got \(got)")
                    }
                    list.append((name, t.value))
                }
                list.sort { $0.0 < $1.0 }
                try c.arg(1) { try SafeTensors.write(path: path, list, metadata: ["format": "gcgap/tensors"]) }
                return 0 }),
            ("load_tensors", { c in
                let path = try c.path(1)
                let file = try c.arg(1) { try SafeTensors.read(path: path) }
                c.state.newTable(hash: file.tensors.count)
                for name in file.names { c.state.pushTensor(file.tensors[name]!); c.state.setField(-2, name) }
                return 1 }),
        ]
    }
}
