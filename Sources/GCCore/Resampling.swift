/// The verdict's resampling statistics, native: the two-level bootstrap of a mean ρ over
/// runs (seeds, and the evaluation samples within each run), the permutation test of a
/// difference of means and the sign-flip test of a mean. All draw from `Rng` (xoshiro256**)
/// streams of a seed, so a seed fixes every result. `shouldStop` is asked before each resample
/// (Ctrl-C, a sandbox's limits): a yes throws `GCError.interrupted`.
///
/// A p-value from B resamples is (k + 1)/(B + 1): never below 1/(B + 1), its resolution.
/// `PValue` keeps k and B so a report can print "p < 1/(B + 1)" when no resample reached
/// the observed statistic, never the floor as if it were exact.
public struct PValue: Equatable {
    /// Resamples at least as extreme as the observed statistic.
    public var hits: Int
    public var resamples: Int
    public init(hits: Int, resamples: Int) { self.hits = hits; self.resamples = resamples }
    /// (hits + 1)/(resamples + 1).
    public var value: Double { Double(hits + 1) / Double(resamples + 1) }
    /// The smallest p these resamples can give: 1/(resamples + 1).
    public var resolution: Double { 1 / Double(resamples + 1) }
    /// True when no resample reached the observed statistic: the p is only bounded above.
    public var atFloor: Bool { hits == 0 }
}

/// One run as the two-level bootstrap sees it: G per component, and each evaluation
/// sample's exact match with nothing ablated and with each component ablated.
public struct RunSamples {
    public var g: [Double]
    /// G's average ranks, computed once (only C changes between resamples).
    let gRanks: [Double]
    /// ρ(G, C) of the run as recorded (nil: undefined).
    public var rho: Double?
    /// The base (nothing ablated) exact match per sample (0 or 1).
    let base: [Int32]
    /// Per component: the samples whose exact match differs from the base, and by how much
    /// (base − ablated: +1 or −1). C of a resample is Σ count[i]·sign over these, / n.
    let diffs: [[(sample: Int, sign: Int32)]]

    /// A run without per-sample results: resampling its samples leaves its ρ as recorded.
    public init(g: [Double], rho: Double?) { self.g = g; gRanks = Stats.ranks(g); self.rho = rho; base = []; diffs = [] }

    public init(g: [Double], rho: Double?, base: [UInt8], ablated: [[UInt8]]) throws {
        guard ablated.count == g.count else { throw GCError("\(ablated.count) ablated sample lists for \(g.count) components") }
        guard !base.isEmpty else { throw GCError("no evaluation samples") }
        for a in ablated where a.count != base.count {
            throw GCError("a component has \(a.count) samples, the base \(base.count)")
        }
        self.g = g; gRanks = Stats.ranks(g); self.rho = rho
        self.base = base.map { Int32($0) }
        diffs = ablated.map { a in
            a.indices.compactMap { i in a[i] == base[i] ? nil : (i, Int32(base[i]) - Int32(a[i])) }
        }
    }

    public var sampleCount: Int { base.count }

    /// ρ(G, C) with the evaluation samples resampled (counts: how often each was drawn).
    func resampledRho(counts: [Int32]) -> Double? {
        var c = [Double](repeating: 0, count: diffs.count)
        return resampledRho(counts: counts, into: &c)
    }

    /// The same, C written into `c` (a buffer of one entry per component, reused).
    func resampledRho(counts: [Int32], into c: inout [Double]) -> Double? {
        let n = Double(base.count)
        for k in diffs.indices {
            var s: Int32 = 0
            for d in diffs[k] { s += counts[d.sample] * d.sign }
            c[k] = Double(s) / n
        }
        return Stats.pearson(gRanks, Stats.ranks(c))
    }
}

public enum Resampling {
    /// The bootstrap distribution of the mean ρ over `runs`: each of `resamples` draws
    /// resamples the runs (when `seeds`) and, within each drawn run, its evaluation samples
    /// (when `samples`) to recompute C and ρ; runs whose ρ is undefined are left out of that
    /// draw's mean. Returns one mean per draw (nil where no run gave a ρ).
    public static func meanRho(_ runs: [RunSamples], resamples: Int, seed: UInt64, seeds: Bool, samples: Bool,
                               shouldStop: () -> Bool = { false }) throws -> [Double?] {
        var rng = Rng(seed: seed, stream: "verdict-mean-rho")
        var out: [Double?] = []
        out.reserveCapacity(resamples)
        var counts = [Int32](repeating: 0, count: runs.map(\.sampleCount).max() ?? 0)
        var c = [Double](repeating: 0, count: runs.map(\.g.count).max() ?? 0)
        for _ in 0..<resamples {
            if shouldStop() { throw GCError.interrupted }
            var sum = 0.0, k = 0
            for j in runs.indices {
                let r = runs[seeds ? rng.below(runs.count) : j]
                var rho = r.rho
                if samples && r.sampleCount > 0 {
                    let n = r.sampleCount
                    for i in 0..<n { counts[i] = 0 }
                    for _ in 0..<n { counts[rng.below(n)] += 1 }
                    if c.count != r.g.count { c = [Double](repeating: 0, count: r.g.count) }
                    rho = r.resampledRho(counts: counts, into: &c)
                }
                if let v = rho { sum += v; k += 1 }
            }
            out.append(k > 0 ? sum / Double(k) : nil)
        }
        return out
    }

    /// One-sided permutation test of mean(a) − mean(b) > 0: the labels shuffled `resamples`
    /// times; a hit is a shuffle whose difference reaches the observed one.
    public static func permutation(_ a: [Double], _ b: [Double], resamples: Int, seed: UInt64,
                                   shouldStop: () -> Bool = { false }) throws -> PValue? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        var rng = Rng(seed: seed, stream: "verdict-permutation")
        let observed = mean(a) - mean(b)
        var all = a + b, hits = 0
        for _ in 0..<resamples {
            if shouldStop() { throw GCError.interrupted }
            for i in stride(from: all.count - 1, to: 0, by: -1) { all.swapAt(i, rng.below(i + 1)) }
            let d = mean(all[0..<a.count]) - mean(all[a.count...])
            if d >= observed - 1e-12 { hits += 1 }
        }
        return PValue(hits: hits, resamples: resamples)
    }

    /// One-sided sign-flip test of mean(d) > 0 (paired differences): each sign flipped by a
    /// fair coin `resamples` times; a hit is a flip whose mean reaches the observed one.
    public static func signFlip(_ d: [Double], resamples: Int, seed: UInt64,
                                shouldStop: () -> Bool = { false }) throws -> PValue? {
        guard !d.isEmpty else { return nil }
        var rng = Rng(seed: seed, stream: "verdict-sign-flip")
        let observed = mean(d)
        var hits = 0
        for _ in 0..<resamples {
            if shouldStop() { throw GCError.interrupted }
            var s = 0.0
            for x in d { s += rng.below(2) == 0 ? x : -x }
            if s / Double(d.count) >= observed - 1e-12 { hits += 1 }
        }
        return PValue(hits: hits, resamples: resamples)
    }

    static func mean<C: Collection>(_ x: C) -> Double where C.Element == Double {
        x.reduce(0, +) / Double(x.count)
    }
}
