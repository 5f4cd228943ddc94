/// The sizes gcgap accepts, and the one checked arithmetic that every allocation sized by a
/// caller goes through, so that a size from a script (`length = 2^40`) is an error naming
/// the size, never an overflow or an aborted allocation.
public enum Limits {
    /// The most elements one tensor or one buffer may hold: 2^28 floats (1 GiB).
    public static let maxElements = 1 << 28
    /// The longest sample length N a task draws (a sample is 2N+3 tokens).
    public static let maxLength = 1 << 14
    /// The most tokens the samples of one call may hold together (eval sets, G's batches).
    public static let maxTokens = 1 << 26
    /// The highest rank of a tensor (NumPy's limit is 64; gcgap's models use 4 at most). Also
    /// the deepest nesting of tables a native function reads, since nested tables are one
    /// way to write a tensor.
    public static let maxRank = 32

    /// Checks the rank of a shape about to be made (before anything is allocated for it).
    public static func checkRank(_ rank: Int, what: @autoclosure () -> String = "shape") throws {
        guard rank <= maxRank else { throw GCError("\(what()) has \(rank) dimensions, more than the limit of \(maxRank)") }
    }

    /// The product of `dims`, checked: overflow or a product above `limit` throws. Zero
    /// dimensions count as 1 for the check, so no shape holds a dimension that would
    /// overflow once another dimension of it is used (a [0, 2^40] tensor is refused too).
    public static func product(_ dims: [Int], limit: Int = maxElements, what: @autoclosure () -> String) throws -> Int {
        var bound = 1, n = 1
        for d in dims {
            guard d >= 0 else { throw GCError("\(what()): negative size \(d)") }
            let (b, o) = bound.multipliedReportingOverflow(by: Swift.max(d, 1))
            guard !o, b <= limit else { throw GCError("\(what()) is too large (limit \(limit) elements)") }
            bound = b
            n *= d
        }
        return n
    }

    /// Checks a sample length N.
    public static func checkLength(_ n: Int, what: @autoclosure () -> String = "length") throws {
        guard n >= 1, n <= maxLength else { throw GCError("\(what()) must be in 1..\(maxLength), got \(n)") }
    }

    /// Checks that `samples` samples of length up to `length` fit `maxTokens` together.
    public static func checkSamples(_ samples: Int, length: Int, what: @autoclosure () -> String = "samples") throws {
        try checkLength(length, what: "\(what()): length")
        let (t, o) = samples.multipliedReportingOverflow(by: 2 * length + 3)
        guard samples >= 0, !o, t <= maxTokens else {
            throw GCError("\(what()): \(samples) samples of length \(length) are too many tokens (limit \(maxTokens))")
        }
    }
}
