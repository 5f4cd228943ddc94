import CLua
import CLuaShim
import GCCore

/// `gcgap.tensor`: float32 tensors in Lua. Indices are 1-based, as everywhere in Lua.
enum TensorBinding {
    /// The tensor a method is called on.
    static func this(_ c: LuaCall) throws -> Tensor { try c.tensor(1) }

    static func shape(_ c: LuaCall) throws -> Int32 {
        c.state.pushIntegerList(try this(c).shape)
        return 1
    }

    static func numel(_ c: LuaCall) throws -> Int32 {
        c.state.push(try this(c).count)
        return 1
    }

    static func dim(_ c: LuaCall) throws -> Int32 {
        c.state.push(try this(c).rank)
        return 1
    }

    static func sum(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { c.state.push(Double(t.sum())); return 1 }
        c.state.pushTensor(try c.arg(2) { try t.sum(axis: axis) }); return 1
    }

    static func mean(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { c.state.push(Double(t.mean())); return 1 }
        c.state.pushTensor(try c.arg(2) { try t.mean(axis: axis) }); return 1
    }

    static func norm(_ c: LuaCall) throws -> Int32 {
        c.state.push(Double(try this(c).norm()))
        return 1
    }

    static func maximum(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { c.state.push(Double(t.max())); return 1 }
        let r = try c.arg(2) { try t.max(axis: axis) }
        c.state.pushTensor(r.values); c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 2
    }

    static func minimum(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { c.state.push(Double(t.min())); return 1 }
        let r = try c.arg(2) { try t.min(axis: axis) }
        c.state.pushTensor(r.values); c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 2
    }

    static func argmax(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else {
            guard let i = t.argmax() else { c.state.pushNil(); return 1 }
            c.state.push(i + 1); return 1
        }
        let r = try c.arg(2) { try t.max(axis: axis) }
        c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 1
    }

    static func argmin(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        guard let axis = try axisArg(c, t) else {
            guard !t.data.isEmpty else { c.state.pushNil(); return 1 }
            let i = t.data.indices.min { t.data[$0] < t.data[$1] || (t.data[$0] == t.data[$1] && $0 < $1) }!
            c.state.push(i + 1); return 1
        }
        let r = try c.arg(2) { try t.min(axis: axis) }
        c.state.pushTensor(indexTensor(r.values.shape, r.indices)); return 1
    }

    static func matmul(_ c: LuaCall) throws -> Int32 {
        let a = try this(c), b = try c.tensor(2)
        c.state.pushTensor(try c.arg(2) { try a.matmul(b) }); return 1
    }

    static func transpose(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        c.state.pushTensor(try c.arg(1) { try t.transposed() })
        return 1
    }

    static func reshape(_ c: LuaCall) throws -> Int32 {
        let t = try this(c)
        var shape: [Int] = []
        // the rank is checked before the shape is read
        let rank = c.type(2) == LUA_TTABLE ? c.rawLength(2) : Int(c.count) - 1
        try c.arg(2) { try Limits.checkRank(rank, what: "the new shape") }
        if c.type(2) == LUA_TTABLE {
            shape = try c.integerList(2)
        } else {
            for i in 2...max(2, c.count) where i <= c.count { shape.append(try c.integer(i)) }
        }
        c.state.pushTensor(try c.arg(2) { try t.reshaped(shape) }); return 1
    }

    static func slice(_ c: LuaCall) throws -> Int32 {
        // t:slice(d, i [, j]): indices i..j along dimension d (1-based, inclusive;
        // negative from the end, as string.sub)
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { throw c.typeError(2, "number") }
        let n = t.shape[axis]
        func pos(_ v: Int) -> Int { v < 0 ? n + v + 1 : v }
        let i = pos(try c.integer(3)), j = pos(try c.optionalInteger(4) ?? -1)
        let lo = Swift.min(Swift.max(i, 1), n + 1), hi = Swift.min(j, n) // clamped, as string.sub
        c.state.pushTensor(try c.arg(3) { try t.slice(axis: axis, lo - 1, Swift.max(hi, lo - 1)) }); return 1
    }

    static func indexSelect(_ c: LuaCall) throws -> Int32 {
        // t:index(d, {i1, i2, ...}): the entries at those indices along dimension d
        let t = try this(c)
        guard let axis = try axisArg(c, t) else { throw c.typeError(2, "number") }
        let n = t.shape[axis]
        let idx = try c.integerList(3).enumerated().map { k, v -> Int in
            // checked 1-based, as given (math.mininteger has no 0-based form)
            guard v >= 1, v <= n else {
                throw c.argError(3, "index \(v) at position \(k + 1) out of range 1..\(n) for dimension \(axis + 1)")
            }
            return v - 1
        }
        c.state.pushTensor(try c.arg(3) { try t.gather(axis: axis, idx) }); return 1
    }

    static func save_npy(_ c: LuaCall) throws -> Int32 {
        let t = try this(c), path = try c.path(2, .write)
        try c.arg(2) { try FileIO.writeAtomically(t.npy, to: path) }
        return 0
    }

    static func clone(_ c: LuaCall) throws -> Int32 {
        c.state.pushTensor(try this(c))
        return 1
    }

    static func element(_ c: LuaCall) throws -> Int32 {
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
        c.state.push(Double(try c.arg(2) { try t.value(at: idx) })); return 1
    }

    static func totable(_ c: LuaCall) throws -> Int32 {
        try pushTable(c.state, try this(c))
        return 1
    }

    static func mapElements(_ c: LuaCall) throws -> Int32 {
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
        c.state.pushTensor(try c.arg(2) { try Tensor(shape: t.shape, data: out) }); return 1
    }

    static func unm(_ c: LuaCall) throws -> Int32 {
        c.state.pushTensor(Tensor.elementwise(scalar: 0, .sub, try c.tensor(1)))
        return 1
    }

    static func len(_ c: LuaCall) throws -> Int32 {
        let t = try c.tensor(1)
        c.state.push(t.rank == 0 ? 0 : t.shape[0])
        return 1
    }

    static func eq(_ c: LuaCall) throws -> Int32 {
        let a = c.state.object(at: 1, GCTypes.tensor), b = c.state.object(at: 2, GCTypes.tensor)
        c.state.push(a != nil && b != nil && a!.value == b!.value); return 1
    }

    static func tostring(_ c: LuaCall) throws -> Int32 {
        c.state.push(try c.tensor(1).description)
        return 1
    }

    static func tensor(_ c: LuaCall) throws -> Int32 {
        if c.type(1) == LUA_TNUMBER { c.state.pushTensor(Tensor(scalar: try c.element(try c.number(1), 1))); return 1 }
        if let t = c.state.object(at: 1, GCTypes.tensor) { c.state.pushTensor(t.value); return 1 }
        c.state.pushTensor(try c.tensorFromTable(1)); return 1
    }

    static func zeros(_ c: LuaCall) throws -> Int32 {
        let s = try shapeArg(c, 1)
        c.state.pushTensor(try c.arg(1) { try Tensor(shape: s, repeating: 0) })
        return 1
    }

    static func ones(_ c: LuaCall) throws -> Int32 {
        let s = try shapeArg(c, 1)
        c.state.pushTensor(try c.arg(1) { try Tensor(shape: s, repeating: 1) })
        return 1
    }

    static func randn(_ c: LuaCall) throws -> Int32 {
        let shape = try shapeArg(c, 1)
        var rng = Rng(seed: UInt64(bitPattern: Int64(try c.optionalInteger(2) ?? 0)), stream: "randn")
        var t = try c.arg(1) { try Tensor(shape: shape) }
        for i in 0..<t.count {
            if i & 0xFFFFF == 0xFFFFF, gcshim_interrupt_pending() != 0 { gcshim_interrupt_clear(); throw GCError.interrupted }
            t.data[i] = rng.normal()
        }
        c.state.pushTensor(t); return 1
    }

    /// A list of 1 to 2^20 tensors at argument `i` (gcgap.stack, gcgap.cat).
    static func tensorList(_ c: LuaCall, _ i: Int32) throws -> [Tensor] {
        try c.table(i)
        let n = c.rawLength(i)
        guard n >= 1, n <= 1 << 20 else { throw c.argError(i, "a list of 1 or more tensors expected") }
        var list: [Tensor] = []
        for k in 1...n {
            lua_rawgeti(c.L, i, lua_Integer(k))
            defer { c.state.pop() }
            guard let t = c.state.object(at: -1, GCTypes.tensor) else {
                throw c.argError(i, "tensor expected at index \(k), got \(c.state.typeName(at: -1))")
            }
            list.append(t.value)
        }
        return list
    }

    static func stack(_ c: LuaCall) throws -> Int32 {
        let list = try tensorList(c, 1)
        let d = try c.optionalInteger(2) ?? 1
        guard d >= 1 && d <= list[0].rank + 1 else { throw c.argError(2, "dimension \(d) out of range 1..\(list[0].rank + 1)") }
        c.state.pushTensor(try c.arg(1) { try Tensor.stack(list, axis: d - 1) }); return 1
    }

    static func load_npy(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .read)
        c.state.pushTensor(try c.arg(1) { try Tensor(npy: try FileIO.read(path)) }); return 1
    }

    static func is_tensor(_ c: LuaCall) throws -> Int32 {
        c.state.push(c.state.object(at: 1, GCTypes.tensor) != nil)
        return 1
    }

    static func save_tensors(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .write)
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
        return 0
    }

    static func load_tensors(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .read)
        let file = try c.arg(1) { try SafeTensors.read(path: path) }
        c.state.newTable(hash: file.tensors.count)
        for name in file.names { c.state.pushTensor(file.tensors[name]!); c.state.setField(-2, name) }
        return 1
    }

    static func register(_ lua: LuaState) {
        let methods: [(String, LuaFunction)] = [
            ("shape", shape),
            ("numel", numel),
            ("dim", dim),
            ("sum", sum),
            ("mean", mean),
            ("norm", norm),
            ("max", maximum),
            ("min", minimum),
            ("argmax", argmax),
            ("argmin", argmin),
            ("matmul", matmul),
            ("t", transpose),
            ("reshape", reshape),
            ("slice", slice),
            ("index", indexSelect),
            ("save_npy", save_npy),
            ("clone", clone),
            ("get", element),
            ("totable", totable),
            ("map", mapElements),
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
            ("__unm", unm),
            ("__len", len),
            ("__eq", eq),
            ("__tostring", tostring),
        ]
        lua.registerType(GCTypes.tensor, methods: methods + TensorViewBinding.methods, metamethods: metamethods) { c, box in
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

    /// Nested tables of the tensor's values: one table per level on the stack at once, so the
    /// stack is grown for the rank first (at most `Limits.maxRank`, but checked anyway).
    static func pushTable(_ s: LuaState, _ t: Tensor) throws {
        if t.rank == 0 { s.push(Double(t.data[0])); return }
        guard t.rank <= Limits.maxRank, gcshim_checkstack(s.L, Int32(t.rank) + 4) != 0 else {
            throw LuaError("stack overflow (a tensor of rank \(t.rank))")
        }
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

    /// A shape argument (zeros, ones, randn): a number or a list of non-negative integers,
    /// read as integers (through floats, 16777217 would become 16777216), its rank checked
    /// before it is read.
    static func shapeArg(_ c: LuaCall, _ i: Int32) throws -> [Int] {
        if c.type(i) == LUA_TNUMBER { return [try c.integer(i)] }
        try c.table(i)
        try c.arg(i) { try Limits.checkRank(c.rawLength(i), what: "a shape") }
        return try c.integerList(i).map { v -> Int in
            guard v >= 0, v < 1_000_000_000 else { throw c.argError(i, "shape: non-negative integers expected, got \(v)") }
            return v
        }
    }

    static func functions() -> [(String, LuaFunction)] {
        return [
            ("tensor", tensor),
            ("zeros", zeros),
            ("ones", ones),
            ("randn", randn),
            ("stack", stack),
            ("load_npy", load_npy),
            ("is_tensor", is_tensor),
            ("save_tensors", save_tensors),
            ("load_tensors", load_tensors),
        ]
    }
}
