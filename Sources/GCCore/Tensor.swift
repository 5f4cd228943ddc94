import Foundation

/// A dense float32 tensor: a shape and contiguous row-major storage.
///
/// A value type (copy on write). Shape errors are thrown as `GCError` with a message that
/// names the shapes involved; nothing here traps on bad input.
public struct Tensor: Equatable, CustomStringConvertible {
    public private(set) var shape: [Int]
    public var data: [Float]

    /// A tensor from a shape and its row-major data.
    public init(shape: [Int], data: [Float]) throws {
        let n = try Tensor.count(of: shape) // rank, then negative or too large dimensions
        guard n == data.count else {
            throw GCError("shape \(Tensor.format(shape)) needs \(n) values, got \(data.count)")
        }
        self.shape = shape
        self.data = data
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) throws {
        let n = try Tensor.count(of: shape) // rank, then negative or too large dimensions
        self.shape = shape
        self.data = [Float](repeating: value, count: n)
    }

    /// Internal: shape and data known to agree.
    init(unchecked shape: [Int], _ data: [Float]) { self.shape = shape; self.data = data }

    /// A 0-d tensor holding one number.
    public init(scalar: Float) { self.shape = []; self.data = [scalar] }

    /// The element count of a shape, through `Limits.product`, and its rank checked against
    /// `Limits.maxRank`: every tensor made from outside (Lua, .npy, safetensors) passes here
    /// before its storage is allocated, so no tensor of a higher rank exists.
    static func count(of shape: [Int]) throws -> Int {
        try Limits.checkRank(shape.count, what: "a shape")
        return try Limits.product(shape, what: "shape \(format(shape))")
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The same data under another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Limits.checkRank(newShape.count, what: "the new shape")
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        guard unknown.count <= 1, s.allSatisfy({ $0 >= -1 }) else {
            throw GCError("invalid shape \(Tensor.format(newShape))")
        }
        if let u = unknown.first {
            let known = try Tensor.count(of: s.enumerated().filter { $0.offset != u }.map(\.element))
            guard known > 0, count % known == 0 else {
                throw GCError("cannot reshape \(Tensor.format(shape)) to \(Tensor.format(newShape))")
            }
            s[u] = count / known
        }
        guard (try Tensor.count(of: s)) == count else {
            throw GCError("cannot reshape \(Tensor.format(shape)) (\(count) values) to \(Tensor.format(newShape))")
        }
        return Tensor(unchecked: s, data)
    }

    /// Row-major strides of the shape.
    public var strides: [Int] {
        var st = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { st[i] = acc; acc *= shape[i] }
        return st
    }

    /// The element at a full index (0-based).
    public func value(at index: [Int]) throws -> Float {
        guard index.count == shape.count else {
            throw GCError("index has \(index.count) dimensions, tensor has \(shape.count)")
        }
        var off = 0
        for (k, (i, d)) in zip(index, shape).enumerated() {
            guard i >= 0 && i < d else { throw GCError("index \(i) out of range for dimension \(k + 1) of size \(d)") }
            off = off * d + i
        }
        return data[off]
    }

    /// The sub-tensor at index `i` (0-based) of the first dimension.
    public func slice(_ i: Int) throws -> Tensor {
        guard rank >= 1 else { throw GCError("cannot index a 0-d tensor") }
        guard i >= 0 && i < shape[0] else { throw GCError("index \(i) out of range for dimension 1 of size \(shape[0])") }
        let inner = Array(shape.dropFirst())
        let n = inner.reduce(1, *)
        return Tensor(unchecked: inner, Array(data[(i * n)..<((i + 1) * n)]))
    }

    // MARK: Elementwise arithmetic

    public enum Op: String { case add = "+", sub = "-", mul = "*", div = "/", pow = "^" }

    @inline(__always) static func apply(_ op: Op, _ x: Float, _ y: Float) -> Float {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .pow: return Float(_pow(Double(x), Double(y)))
        }
    }

    /// `a op b` for two tensors: same shape, or one shape a suffix of the other (the smaller
    /// one repeats along the leading dimensions), or either side 0-d.
    public static func elementwise(_ a: Tensor, _ op: Op, _ b: Tensor) throws -> Tensor {
        if b.rank == 0 { return elementwise(a, op, scalar: b.data[0]) }
        if a.rank == 0 { return elementwise(scalar: a.data[0], op, b) }
        if a.shape == b.shape {
            var out = a.data
            for i in 0..<out.count { out[i] = apply(op, a.data[i], b.data[i]) }
            return Tensor(unchecked: a.shape, out)
        }
        if a.rank > b.rank, Array(a.shape.suffix(b.rank)) == b.shape, b.count > 0 {
            var out = a.data
            let n = b.count
            for i in 0..<out.count { out[i] = apply(op, a.data[i], b.data[i % n]) }
            return Tensor(unchecked: a.shape, out)
        }
        if b.rank > a.rank, Array(b.shape.suffix(a.rank)) == a.shape, a.count > 0 {
            var out = b.data
            let n = a.count
            for i in 0..<out.count { out[i] = apply(op, a.data[i % n], b.data[i]) }
            return Tensor(unchecked: b.shape, out)
        }
        throw GCError("shapes \(format(a.shape)) and \(format(b.shape)) do not match for '\(op.rawValue)'")
    }

    public static func elementwise(_ a: Tensor, _ op: Op, scalar s: Float) -> Tensor {
        Tensor(unchecked: a.shape, a.data.map { apply(op, $0, s) })
    }

    public static func elementwise(scalar s: Float, _ op: Op, _ b: Tensor) -> Tensor {
        Tensor(unchecked: b.shape, b.data.map { apply(op, s, $0) })
    }

    public func map(_ f: (Float) -> Float) -> Tensor { Tensor(unchecked: shape, data.map(f)) }

    // MARK: Reductions

    /// Sum of all elements (accumulated in Double).
    public func sum() -> Float { Float(data.reduce(0.0) { $0 + Double($1) }) }
    /// Mean of all elements; NaN for an empty tensor.
    public func mean() -> Float { count == 0 ? .nan : Float(data.reduce(0.0) { $0 + Double($1) } / Double(count)) }
    /// Frobenius (L2) norm of all elements.
    public func norm() -> Float { Float(data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }
    /// Largest element; NaN when empty or when any element is NaN.
    public func max() -> Float { data.contains { $0.isNaN } ? .nan : data.max() ?? .nan }
    /// Smallest element; NaN when empty or when any element is NaN.
    public func min() -> Float { data.contains { $0.isNaN } ? .nan : data.min() ?? .nan }
    /// Index (0-based, flat) of the first largest element; nil when empty.
    public func argmax() -> Int? {
        guard var best = data.first else { return nil }
        var bi = 0
        for (i, v) in data.enumerated() where !best.isNaN && (v > best || v.isNaN) { best = v; bi = i } // NaN wins, as in max()
        return bi
    }

    /// Sum over one axis (0-based), removing it.
    public func sum(axis: Int) throws -> Tensor {
        try reduce(axis: axis) { lane, n in
            var acc = 0.0
            for k in 0..<n { acc += Double(lane(k)) }
            return (Float(acc), 0)
        }.values
    }

    /// Mean over one axis (0-based), removing it; NaN where the axis is empty.
    public func mean(axis: Int) throws -> Tensor {
        try reduce(axis: axis) { lane, n in
            var acc = 0.0
            for k in 0..<n { acc += Double(lane(k)) }
            return (n == 0 ? .nan : Float(acc / Double(n)), 0)
        }.values
    }

    /// Largest values along one axis (0-based), removing it, with their indices (0-based,
    /// the first largest on ties, as `argmax()`). An empty axis is an error.
    public func max(axis: Int) throws -> (values: Tensor, indices: [Int]) {
        try extreme(axis: axis) { $0 > $1 }
    }

    /// Smallest values along one axis (0-based), removing it, with their indices.
    public func min(axis: Int) throws -> (values: Tensor, indices: [Int]) {
        try extreme(axis: axis) { $0 < $1 }
    }

    private func extreme(axis: Int, _ better: @escaping (Float, Float) -> Bool) throws -> (values: Tensor, indices: [Int]) {
        guard axis >= 0 && axis < rank else { throw GCError("axis \(axis + 1) out of range for a \(rank)-d tensor") }
        guard shape[axis] > 0 else { throw GCError("cannot reduce over the empty axis \(axis + 1)") }
        return try reduce(axis: axis) { lane, n in
            var best = lane(0), bi = 0
            for k in 1..<Swift.max(n, 1) where k < n {
                let v = lane(k)
                if better(v, best) || (best.isNaN == false && v.isNaN) { best = v; bi = k }
            }
            return (best, bi)
        }
    }

    /// Applies `f` to every lane along `axis` (0-based); `f` gets an accessor for the
    /// lane's k-th element and the lane's length, and returns a value and an index.
    private func reduce(axis: Int, _ f: ((Int) -> Float, Int) -> (Float, Int)) throws -> (values: Tensor, indices: [Int]) {
        guard axis >= 0 && axis < rank else { throw GCError("axis \(axis + 1) out of range for a \(rank)-d tensor") }
        let outer = try Tensor.count(of: Array(shape[..<axis])), n = shape[axis]
        let inner = try Tensor.count(of: Array(shape[(axis + 1)...]))
        var out = [Float](repeating: 0, count: outer * inner), idx = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let (v, k) = f({ data[(o * n + $0) * inner + i] }, n)
                out[o * inner + i] = v
                idx[o * inner + i] = k
            }
        }
        var s = shape; s.remove(at: axis)
        return (Tensor(unchecked: s, out), idx)
    }

    /// The elements whose index along `axis` (0-based) is in `lo..<hi`; the axis stays.
    public func slice(axis: Int, _ lo: Int, _ hi: Int) throws -> Tensor {
        guard axis >= 0 && axis < rank else { throw GCError("axis \(axis + 1) out of range for a \(rank)-d tensor") }
        guard lo >= 0, hi >= lo, hi <= shape[axis] else {
            throw GCError("range \(lo + 1)..\(hi) out of bounds for dimension \(axis + 1) of size \(shape[axis])")
        }
        return try gather(axis: axis, Array(lo..<hi))
    }

    /// The elements at `indices` (0-based) along `axis`, in that order; the axis stays.
    public func gather(axis: Int, _ indices: [Int]) throws -> Tensor {
        guard axis >= 0 && axis < rank else { throw GCError("axis \(axis + 1) out of range for a \(rank)-d tensor") }
        let n = shape[axis]
        for i in indices where i < 0 || i >= n { throw GCError("index \(i + 1) out of range 1..\(n) for dimension \(axis + 1)") }
        var s = shape
        s[axis] = indices.count
        let total = try Tensor.count(of: s)
        let outer = try Tensor.count(of: Array(shape[..<axis])), inner = try Tensor.count(of: Array(shape[(axis + 1)...]))
        var out = [Float](repeating: 0, count: total)
        var at = 0
        for o in 0..<outer {
            for i in indices {
                let src = (o * n + i) * inner
                for k in 0..<inner { out[at + k] = data[src + k] }
                at += inner
            }
        }
        return Tensor(unchecked: s, out)
    }

    /// Tensors of one shape, stacked along a new axis (0-based, 0...rank).
    public static func stack(_ ts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = ts.first else { throw GCError("nothing to stack") }
        guard axis >= 0 && axis <= first.rank else { throw GCError("axis \(axis + 1) out of range 1..\(first.rank + 1)") }
        for (i, t) in ts.enumerated() where t.shape != first.shape {
            throw GCError("tensor \(i + 1) has shape \(format(t.shape)), tensor 1 \(format(first.shape))")
        }
        var shape = first.shape
        shape.insert(ts.count, at: axis)
        let total = try count(of: shape)
        let outer = first.shape[..<axis].reduce(1, *), inner = first.count / Swift.max(outer, 1)
        var out = [Float](repeating: 0, count: total)
        for o in 0..<outer {
            for (k, t) in ts.enumerated() {
                let dst = (o * ts.count + k) * inner
                for i in 0..<inner { out[dst + i] = t.data[o * inner + i] }
            }
        }
        return Tensor(unchecked: shape, out)
    }

    // MARK: Linear algebra

    /// The transpose of a 2-d tensor.
    public func transposed() throws -> Tensor {
        guard rank == 2 else { throw GCError("transpose needs a 2-d tensor, got \(Tensor.format(shape))") }
        let (r, c) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = data[i * c + j] } }
        return Tensor(unchecked: [c, r], out)
    }

    /// Matrix product through BLAS: [m,k]·[k,n], [k]·[k,n], [m,k]·[k], or a batch
    /// [..., m, k]·[k, n].
    public func matmul(_ b: Tensor) throws -> Tensor {
        let a = self
        func bad() -> GCError { GCError("shapes \(Tensor.format(a.shape)) and \(Tensor.format(b.shape)) do not fit") }
        var lhs = a, rhs = b, squeezeLeft = false, squeezeRight = false
        if lhs.rank == 1 { lhs = Tensor(unchecked: [1, lhs.count], lhs.data); squeezeLeft = true }
        if rhs.rank == 1 { rhs = Tensor(unchecked: [rhs.count, 1], rhs.data); squeezeRight = true }
        guard lhs.rank >= 2, rhs.rank == 2 else { throw bad() }
        let k = lhs.shape[lhs.rank - 1]
        guard rhs.shape[0] == k else { throw bad() }
        let n = rhs.shape[1]
        let rows = try Tensor.count(of: Array(lhs.shape.dropLast()))
        var out = [Float](repeating: 0, count: try Limits.product([rows, n], what: "matmul result [\(rows), \(n)]"))
        if k > 0 {
            lhs.data.withUnsafeBufferPointer { ap in
                rhs.data.withUnsafeBufferPointer { bp in
                    out.withUnsafeMutableBufferPointer { cp in
                        BLAS.gemmNN(rows, n, k, ap.baseAddress!, k, bp.baseAddress!, n, 0, cp.baseAddress!, n)
                    }
                }
            }
        }
        var shape = Array(lhs.shape.dropLast()) + [n]
        if squeezeRight { shape.removeLast() }
        if squeezeLeft { shape.remove(at: shape.count - (squeezeRight ? 1 : 2)) }
        return Tensor(unchecked: shape, out)
    }

    // MARK: Printing

    public static func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    static func formatNumber(_ v: Float) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) + "." }
        let a = abs(v)
        if a >= 1e-4 && a < 1e6 {
            var s = String(format4: v)
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
        return String(describing: v)
    }

    /// A numpy-like view, elided beyond `edge` items per dimension when large.
    public func render(edge: Int = 3, maxItems: Int = 1000) -> String {
        if rank == 0 { return Tensor.formatNumber(data[0]) }
        let elide = count > maxItems
        let st = strides
        func rec(_ dim: Int, _ off: Int, _ indent: String) -> String {
            let n = shape[dim]
            var idx: [Int?] = Array(0..<n)
            if elide && n > 2 * edge { idx = Array(0..<edge) + [nil] + Array((n - edge)..<n) }
            if dim == rank - 1 {
                return "[" + idx.map { $0.map { Tensor.formatNumber(data[off + $0]) } ?? "..." }.joined(separator: ", ") + "]"
            }
            let sep = ",\n" + String(repeating: "\n", count: Swift.max(0, rank - dim - 2)) + indent + " "
            return "[" + idx.map { $0.map { rec(dim + 1, off + $0 * st[dim], indent + " ") } ?? "..." }
                .joined(separator: sep) + "]"
        }
        return rec(0, 0, "")
    }

    public var description: String { "tensor(" + render() + ", shape=" + Tensor.format(shape) + ")" }
}

extension String {
    /// Four significant decimals, fixed notation.
    init(format4 v: Float) {
        let scaled = (Double(v) * 10_000).rounded() / 10_000
        self = String(scaled)
    }
}
