/// Rank statistics for comparing importance scores, after scipy.stats.
public enum Stats {
    public enum RankMethod: String, CaseIterable {
        /// Ties share the mean of the ranks they span (scipy's `rankdata` default).
        case average
        /// Ties are broken by position (first seen, first ranked).
        case ordinal
    }

    /// Ascending ranks 1...n.
    public static func ranks(_ x: [Double], method: RankMethod = .average) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var r = [Double](repeating: 0, count: x.count)
        if method == .ordinal {
            for (k, i) in order.enumerated() { r[i] = Double(k + 1) }
            return r
        }
        var k = 0
        while k < order.count {
            var j = k
            while j + 1 < order.count && x[order[j + 1]] == x[order[k]] { j += 1 }
            let avg = Double(k + j + 2) / 2
            for m in k...j { r[order[m]] = avg }
            k = j + 1
        }
        return r
    }

    /// Pearson's correlation; nil when either side is constant (or fewer than 2 values).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { let a = x[i] - mx, b = y[i] - my; sxy += a * b; sxx += a * a; syy += b * b }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman's ρ: Pearson's correlation of average ranks (scipy.stats.spearmanr).
    /// nil ("undefined") when G or C is constant.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        pearson(ranks(x), ranks(y))
    }

    /// Kendall's τ-b (scipy.stats.kendalltau's default), nil when undefined.
    public static func kendall(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        var concordant = 0.0, discordant = 0.0, tiesX = 0.0, tiesY = 0.0
        for i in 0..<x.count {
            for j in (i + 1)..<x.count {
                let dx = x[i] - x[j], dy = y[i] - y[j]
                if dx == 0 && dy == 0 { continue }
                if dx == 0 { tiesX += 1; continue }
                if dy == 0 { tiesY += 1; continue }
                if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
            }
        }
        let denom = ((concordant + discordant + tiesX) * (concordant + discordant + tiesY)).squareRoot()
        guard denom > 0 else { return nil }
        return (concordant - discordant) / denom
    }

    /// Two-sided permutation p-value of Spearman's ρ: the share of `permutations` random
    /// shufflings of y (generator stream "permutation" of `seed`) whose |ρ| reaches the
    /// observed |ρ|, counting the observed one ((k+1)/(n+1)). nil when ρ is undefined.
    public static func permutationPValue(_ x: [Double], _ y: [Double], permutations: Int = 10_000, seed: UInt64 = 0) -> Double? {
        guard let observed = spearman(x, y) else { return nil }
        var rng = Rng(seed: seed, stream: "permutation")
        let rx = ranks(x), ry = ranks(y)
        var shuffled = ry, hits = 0
        for _ in 0..<permutations {
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.below(i + 1)) }
            if let r = pearson(rx, shuffled), abs(r) >= abs(observed) - 1e-12 { hits += 1 }
        }
        return Double(hits + 1) / Double(permutations + 1)
    }

    /// Percentile bootstrap interval of Spearman's ρ over resampled (x, y) pairs. Resamples
    /// where ρ is undefined are skipped. nil when no resample gives a ρ.
    public static func bootstrapSpearman(_ x: [Double], _ y: [Double], resamples: Int = 2000, level: Double = 0.95,
                                         seed: UInt64 = 0) -> (low: Double, high: Double)? {
        var rng = Rng(seed: seed, stream: "bootstrap")
        var values: [Double] = []
        let n = x.count
        guard n >= 2 else { return nil }
        for _ in 0..<resamples {
            var xs = [Double](), ys = [Double]()
            for _ in 0..<n { let i = rng.below(n); xs.append(x[i]); ys.append(y[i]) }
            if let r = spearman(xs, ys) { values.append(r) }
        }
        guard !values.isEmpty else { return nil }
        return percentileInterval(values, level: level)
    }

    /// The central `level` interval of a sample (linear interpolation, numpy's default).
    public static func percentileInterval(_ values: [Double], level: Double) -> (low: Double, high: Double) {
        let s = values.sorted()
        func q(_ p: Double) -> Double {
            let pos = p * Double(s.count - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
            return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
        }
        return (q((1 - level) / 2), q(1 - (1 - level) / 2))
    }

    /// Δ_i = Rank(G_i) − Rank(C_i), ascending ranks over the components.
    public static func gap(_ g: [Double], _ c: [Double], method: RankMethod = .average) -> [Double] {
        let rg = ranks(g, method: method), rc = ranks(c, method: method)
        return zip(rg, rc).map { $0 - $1 }
    }

    /// Hidden Heroes (Δ ≤ −threshold), Gradient Bloats (Δ ≥ threshold) and the aligned rest
    /// (`strict`: < and >). Heroes by most negative Δ, Bloats by largest; ties in the given order.
    public static func classify(names: [String], delta: [Double], threshold t: Double, strict: Bool)
        -> (heroes: [String], bloats: [String], aligned: [String]) {
        var heroes: [(String, Double)] = [], bloats: [(String, Double)] = [], aligned: [String] = []
        for (n, v) in zip(names, delta) {
            if strict ? v < -t : v <= -t { heroes.append((n, v)) }
            else if strict ? v > t : v >= t { bloats.append((n, v)) }
            else { aligned.append(n) }
        }
        func ordered(_ xs: [(String, Double)], _ before: (Double, Double) -> Bool) -> [String] {
            xs.enumerated().sorted { before($0.element.1, $1.element.1) || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }
                .map(\.element.0)
        }
        return (ordered(heroes, <), ordered(bloats, >), aligned)
    }
}
