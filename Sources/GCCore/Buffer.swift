/// A growable float buffer with a stable pointer between resizes: the workspace of the
/// forward and backward passes, and the storage of parameters and gradients.
public final class FloatBuffer {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        NativeMemory.add(capacity * MemoryLayout<Float>.stride)
    }

    /// Makes room for `n` floats. Contents are not kept when the buffer grows.
    @discardableResult
    public func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer.deallocate()
            NativeMemory.add(-capacity * MemoryLayout<Float>.stride)
            capacity = max(n, capacity + capacity / 4)
            NativeMemory.add(capacity * MemoryLayout<Float>.stride)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }

    /// Sets the first `n` floats to zero.
    public func zero(_ n: Int) { pointer.update(repeating: 0, count: min(n, capacity)) }

    public func array(_ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: min(n, capacity))) }

    deinit {
        pointer.deallocate()
        NativeMemory.add(-capacity * MemoryLayout<Float>.stride)
    }
}
