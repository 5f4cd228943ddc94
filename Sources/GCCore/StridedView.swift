/// A strided window on a tensor's storage, as Torch7's `narrow`, `select` and `sub` make:
/// an offset, a shape and a stride per dimension, all in elements of the base's row-major
/// storage. Views of views compose (offsets add, strides carry over), so every view refers to
/// its base directly. `gather` reads the window; `scatter` writes into it.
public struct StridedView: Equatable {
    public private(set) var offset: Int
    public private(set) var shape: [Int]
    public private(set) var strides: [Int]

    /// The whole of a base of this shape.
    public init(whole shape: [Int]) {
        offset = 0; self.shape = shape
        var s = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
        strides = s
    }

    public var count: Int { shape.reduce(1, *) }

    /// `length` entries from `start` (0-based) along `axis`.
    public func narrowed(axis: Int, start: Int, length: Int) throws -> StridedView {
        guard axis >= 0, axis < shape.count else { throw GCError("dimension \(axis + 1) out of range 1..\(shape.count)") }
        guard start >= 0, start <= shape[axis], length >= 0, length <= shape[axis] - start else {
            throw GCError("\(length) entries after the first \(start) do not fit in dimension \(axis + 1) of size \(shape[axis])")
        }
        var v = self
        v.offset += start * strides[axis]
        v.shape[axis] = length
        return v
    }

    /// Entry `index` (0-based) along `axis`, that dimension removed.
    public func selected(axis: Int, index: Int) throws -> StridedView {
        guard axis >= 0, axis < shape.count else { throw GCError("dimension \(axis + 1) out of range 1..\(shape.count)") }
        guard index >= 0, index < shape[axis] else { throw GCError("0-based index \(index) out of range 0..<\(shape[axis]) of dimension \(axis + 1)") }
        var v = self
        v.offset += index * strides[axis]
        v.shape.remove(at: axis); v.strides.remove(at: axis)
        return v
    }

    /// Calls `body(k, i)` for the k-th element of the window (row-major) at storage index i.
    @inline(__always) func forEach(_ body: (Int, Int) -> Void) {
        let n = count
        guard n > 0 else { return }
        var idx = [Int](repeating: 0, count: shape.count)
        var pos = offset
        for k in 0..<n {
            body(k, pos)
            var d = shape.count - 1
            while d >= 0 {
                idx[d] += 1; pos += strides[d]
                if idx[d] < shape[d] { break }
                pos -= strides[d] * shape[d]; idx[d] = 0; d -= 1
            }
        }
    }

    /// The window's elements, row-major.
    public func gather(_ storage: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        forEach { k, i in out[k] = storage[i] }
        return out
    }

    /// Writes `values` (row-major, one per element of the window) into the window.
    public func scatter(_ values: [Float], into storage: inout [Float]) throws {
        guard values.count == count else { throw GCError("\(values.count) values for a view of \(count) elements") }
        storage.withUnsafeMutableBufferPointer { s in forEach { k, i in s[i] = values[k] } }
    }
}

extension Tensor {
    /// The elements of `window` on this tensor's storage, as a new contiguous tensor.
    public func viewed(_ window: StridedView) -> Tensor { Tensor(unchecked: window.shape, window.gather(data)) }

    /// Writes `values` (of the window's shape) into `window` of this tensor's storage.
    public mutating func write(_ values: Tensor, into window: StridedView) throws {
        guard values.shape == window.shape else {
            throw GCError("a tensor of shape \(Tensor.format(values.shape)) cannot be written into a view of shape \(Tensor.format(window.shape))")
        }
        try window.scatter(values.data, into: &data)
    }
}

extension Tensor {
    /// The tensors joined along `axis` (0-based): every other dimension must agree.
    public static func concatenate(_ list: [Tensor], axis: Int) throws -> Tensor {
        guard let first = list.first else { throw GCError("nothing to concatenate") }
        guard axis >= 0, axis < first.rank else { throw GCError("dimension \(axis + 1) out of range 1..\(first.rank)") }
        var shape = first.shape
        shape[axis] = 0
        for (k, t) in list.enumerated() {
            var s = t.shape
            guard s.count == first.rank else { throw GCError("tensor \(k + 1) has rank \(t.rank), tensor 1 has \(first.rank)") }
            s[axis] = first.shape[axis]
            guard s == first.shape else {
                throw GCError("tensor \(k + 1) has shape \(format(t.shape)), which differs from tensor 1's \(format(first.shape)) outside dimension \(axis + 1)")
            }
            shape[axis] += t.shape[axis]
        }
        var out = try Tensor(shape: shape)
        var at = 0
        for t in list {
            let window = try StridedView(whole: shape).narrowed(axis: axis, start: at, length: t.shape[axis])
            try out.write(t, into: window)
            at += t.shape[axis]
        }
        return out
    }
}
