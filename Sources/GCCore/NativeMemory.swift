import Synchronization

/// The bytes of native memory live in gcgap's buffers (parameters, gradients, workspaces)
/// and in tensors held by Lua: what a sandbox's native-memory limit is checked against.
public enum NativeMemory {
    private static let bytes = Atomic<Int>(0)

    /// The bytes now live.
    public static var live: Int { bytes.load(ordering: .relaxed) }

    /// Counts `n` bytes allocated (negative: freed).
    public static func add(_ n: Int) { bytes.wrappingAdd(n, ordering: .relaxed) }
}
