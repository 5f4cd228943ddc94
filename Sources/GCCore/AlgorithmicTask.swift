/// A sequence-to-sequence task on values: a sample of length N is
/// `START x1 .. xN SEP y1 .. yN END` with y = target(x) (y may have another length).
///
/// Inputs are drawn by `sampler` from a generator; the default draws N values uniformly
/// from `values` (PROTOCOL: 1..99, with replacement). Batches are deterministic in the
/// generator: a length per sample (uniform in the range), then its values.
public struct AlgorithmicTask {
    public var name: String
    public var special: SpecialTokens
    public var values: ClosedRange<Int32>
    public var target: ([Int32]) throws -> [Int32]
    /// Draws an input of the given length; nil means "uniform over `values`".
    public var sampler: ((Int, inout Rng) throws -> [Int32])?

    public init(name: String, values: ClosedRange<Int32> = 1...99, special: SpecialTokens = .protocolDefault,
                sampler: ((Int, inout Rng) throws -> [Int32])? = nil, target: @escaping ([Int32]) throws -> [Int32]) {
        self.name = name; self.values = values; self.special = special; self.sampler = sampler; self.target = target
    }

    /// Sequence reversal: y = reverse(x).
    public static func reverse() -> AlgorithmicTask { AlgorithmicTask(name: "reverse") { Array($0.reversed()) } }
    /// Sorting: y = sort(x), ascending.
    public static func sort() -> AlgorithmicTask { AlgorithmicTask(name: "sort") { $0.sorted() } }

    /// One input of length n.
    public func input(length n: Int, rng: inout Rng) throws -> [Int32] {
        if let s = sampler { return try s(n, &rng) }
        let lo = Int(values.lowerBound), span = Int(values.upperBound) - lo + 1
        return (0..<n).map { _ in Int32(lo + rng.below(span)) }
    }

    /// The whole sample row for an input.
    public func row(for x: [Int32]) throws -> [Int32] {
        let y = try target(x)
        let specials: Set<Int32> = [special.pad, special.start, special.sep, special.end]
        for (what, seq) in [("input", x), ("target", y)] {
            if let t = seq.first(where: { specials.contains($0) }) {
                throw GCError("task '\(name)': the \(what) holds the special token \(t) (PAD, START, SEP and END cannot be values)")
            }
        }
        return [special.start] + x + [special.sep] + y + [special.end]
    }

    /// `size` samples, each of a length uniform in `lengths`.
    public func batch(size: Int, lengths: ClosedRange<Int>, rng: inout Rng) throws -> TokenBatch {
        guard size >= 1 else { throw GCError("batch size must be at least 1, got \(size)") }
        guard lengths.lowerBound >= 1 else { throw GCError("sample lengths must be at least 1, got \(lengths)") }
        try Limits.checkSamples(size, length: lengths.upperBound, what: "a batch")
        var rows: [[Int32]] = []
        rows.reserveCapacity(size)
        for _ in 0..<size {
            let n = rng.int(in: lengths)
            rows.append(try row(for: try input(length: n, rng: &rng)))
        }
        return try TokenBatch(rows: rows, special: special)
    }

    /// A batch fixed by a run seed and a stream name (evaluation sets).
    public func batch(size: Int, lengths: ClosedRange<Int>, seed: UInt64, stream: String) throws -> TokenBatch {
        var rng = Rng(seed: seed, stream: stream)
        return try batch(size: size, lengths: lengths, rng: &rng)
    }
}
