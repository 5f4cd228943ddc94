import CLua
import CLuaShim
import GCCore

/// Torch7's tensor editing: views that share storage and write through (`narrow`, `select`,
/// `sub`), in-place writes (`copy`, `fill`, `maskedFill`, `indexCopy`) and `gcgap.cat`.
/// Indices are 1-based, as in Lua and Torch7; every index and shape is checked.
enum TensorViewBinding {
    static func box(_ c: LuaCall) throws -> TensorBox { try c.object(1, GCTypes.tensor) }

    /// A 1-based dimension argument, checked against the rank.
    static func dimension(_ c: LuaCall, _ i: Int32, rank: Int) throws -> Int {
        let d = try c.integer(i)
        guard d >= 1 && d <= rank else {
            throw c.argError(i, rank == 0 ? "a 0-d tensor has no dimension \(d)" : "dimension \(d) out of range 1..\(rank)")
        }
        return d - 1
    }

    static func pushView(_ c: LuaCall, _ window: StridedView, of b: TensorBox) {
        c.state.pushObject(TensorBox(view: window, of: b), GCTypes.tensor)
    }

    /// t:narrow(dim, start, length): `length` entries from `start` along `dim`, a view.
    static func narrow(_ c: LuaCall) throws -> Int32 {
        let b = try box(c), r = b.region
        let d = try dimension(c, 2, rank: r.shape.count)
        let start = try c.integer(3), length = try c.integer(4)
        guard start >= 1 && start <= r.shape[d] + 1 else { throw c.argError(3, "start \(start) out of range 1..\(r.shape[d])") }
        guard length >= 0 && length <= r.shape[d] - (start - 1) else {   // (no overflow for a huge length)
            throw c.argError(4, "length \(length) from \(start) passes the end of dimension \(d + 1) (size \(r.shape[d]))")
        }
        pushView(c, try c.arg(1) { try r.narrowed(axis: d, start: start - 1, length: length) }, of: b)
        return 1
    }

    /// t:select(dim, index): the slice at `index` along `dim`, that dimension removed, a view.
    static func select(_ c: LuaCall) throws -> Int32 {
        let b = try box(c), r = b.region
        let d = try dimension(c, 2, rank: r.shape.count)
        let i = try c.integer(3)
        guard i >= 1 && i <= r.shape[d] else { throw c.argError(3, "index \(i) out of range 1..\(r.shape[d]) of dimension \(d + 1)") }
        pushView(c, try c.arg(1) { try r.selected(axis: d, index: i - 1) }, of: b)
        return 1
    }

    /// t:sub(s1, e1 [, s2, e2, ...]): inclusive ranges per dimension (negative from the end), a view.
    static func sub(_ c: LuaCall) throws -> Int32 {
        let b = try box(c)
        var r = b.region
        let pairs = (Int(c.count) - 1) / 2
        guard c.count >= 3, (c.count - 1) % 2 == 0, pairs <= r.shape.count else {
            throw c.argError(2, "pairs of start and end indices expected, one pair per dimension (at most \(r.shape.count))")
        }
        for d in 0..<pairs {
            let n = r.shape[d]
            func pos(_ i: Int32) throws -> Int { let v = try c.integer(i); return v < 0 ? n + v + 1 : v }
            let s = try pos(Int32(2 + 2 * d)), e = try pos(Int32(3 + 2 * d))
            guard s >= 1, e <= n, s <= e + 1 else { throw c.argError(Int32(2 + 2 * d), "range \(s)..\(e) out of 1..\(n) in dimension \(d + 1)") }
            r = try c.arg(1) { try r.narrowed(axis: d, start: s - 1, length: e - s + 1) }
        }
        pushView(c, r, of: b)
        return 1
    }

    /// t:copy(src): src's values (same number of elements) written into t; returns t.
    static func copy(_ c: LuaCall) throws -> Int32 {
        let b = try box(c), src = try c.tensor(2), shape = b.region.shape
        guard src.count == b.region.count else {
            throw c.argError(2, "\(src.count) elements for a tensor of \(b.region.count) (shape \(Tensor.format(shape)))")
        }
        try c.arg(2) { try b.write(try src.reshaped(shape)) }
        lua_settop(c.L, 1)
        return 1
    }

    /// t:fill(v): every element set to v; returns t.
    static func fill(_ c: LuaCall) throws -> Int32 {
        let b = try box(c)
        let v = try c.element(try c.number(2), 2)
        try c.arg(1) { try b.write(try Tensor(shape: b.region.shape, repeating: v)) }
        lua_settop(c.L, 1)
        return 1
    }

    /// t:maskedFill(mask, v): v where mask (a tensor of t's shape) is not 0; returns t.
    static func maskedFill(_ c: LuaCall) throws -> Int32 {
        let b = try box(c), mask = try c.tensor(2)
        let v = try c.element(try c.number(3), 3)
        var t = b.value
        guard mask.shape == t.shape else {
            throw c.argError(2, "a mask of shape \(Tensor.format(mask.shape)) for a tensor of shape \(Tensor.format(t.shape))")
        }
        for i in 0..<t.count where mask.data[i] != 0 { t.data[i] = v }
        try c.arg(1) { try b.write(t) }
        lua_settop(c.L, 1)
        return 1
    }

    /// t:indexCopy(dim, index, src): for each k, the slice index[k] of t along dim := the
    /// slice k of src; index a list or a 1-d tensor of 1-based indices; returns t.
    static func indexCopy(_ c: LuaCall) throws -> Int32 {
        let b = try box(c), r = b.region
        let d = try dimension(c, 2, rank: r.shape.count)
        let index: [Int]
        if let ti = c.state.object(at: 3, GCTypes.tensor) { index = ti.value.data.map { Int(exactly: $0) ?? -1 } } else { index = try c.integerList(3) }
        let src = try c.tensor(4)
        var want = r.shape
        want[d] = index.count
        guard src.shape == want else {
            throw c.argError(4, "shape \(Tensor.format(src.shape)) expected \(Tensor.format(want)) (\(index.count) slices along dimension \(d + 1))")
        }
        for (k, i) in index.enumerated() where i < 1 || i > r.shape[d] {
            throw c.argError(3, "index \(k + 1) is \(i), out of range 1..\(r.shape[d])")
        }
        var t = b.value
        let whole = StridedView(whole: t.shape), from = StridedView(whole: src.shape)
        for (k, i) in index.enumerated() {
            try c.arg(4) { try t.write(src.viewed(try from.selected(axis: d, index: k)), into: try whole.selected(axis: d, index: i - 1)) }
        }
        try c.arg(1) { try b.write(t) }
        lua_settop(c.L, 1)
        return 1
    }

    /// gcgap.cat(list [, dim]): the tensors joined along dim (default: the last).
    static func cat(_ c: LuaCall) throws -> Int32 {
        let list = try TensorBinding.tensorList(c, 1)
        guard list[0].rank >= 1 else { throw c.argError(1, "0-d tensors cannot be joined (gcgap.stack makes a list of them a tensor)") }
        let d = try c.isNoneOrNil(2) ? list[0].rank - 1 : dimension(c, 2, rank: list[0].rank)
        c.state.pushTensor(try c.arg(1) { try Tensor.concatenate(list, axis: d) })
        return 1
    }

    /// t:is_view(): whether t shares another tensor's storage.
    static func isView(_ c: LuaCall) throws -> Int32 {
        c.state.push(try box(c).base != nil)
        return 1
    }

    static let methods: [(String, LuaFunction)] = [
        ("narrow", narrow), ("select", select), ("sub", sub), ("copy", copy), ("fill", fill),
        ("maskedFill", maskedFill), ("indexCopy", indexCopy), ("is_view", isView),
    ]
    static let functions: [(String, LuaFunction)] = [("cat", cat)]
}
