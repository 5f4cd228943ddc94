import Foundation
import Testing
@testable import GCCore

/// gcgap's rank statistics against scipy 1.17 on the committed fixture
/// (Tests/Fixtures/stats_reference.json, made by make_stats_reference.py), to 1e-12.
@Suite("Rank statistics match scipy")
struct StatsTests {
    struct Case: Decodable {
        let x, y, ranks_x, ranks_y, ordinal_y: [Double]
        let spearman, kendall, pearson: Double
    }
    struct File: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stats_reference.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    @Test func ranksSpearmanKendallPearson() {
        for (i, c) in Self.cases.enumerated() {
            #expect(Stats.ranks(c.x) == c.ranks_x, "case \(i)")
            #expect(Stats.ranks(c.y) == c.ranks_y, "case \(i)")
            #expect(Stats.ranks(c.y, method: .ordinal) == c.ordinal_y, "case \(i)")
            #expect(abs(Stats.spearman(c.x, c.y)! - c.spearman) < 1e-12, "case \(i)")
            #expect(abs(Stats.kendall(c.x, c.y)! - c.kendall) < 1e-12, "case \(i)")
            #expect(abs(Stats.pearson(c.x, c.y)! - c.pearson) < 1e-12, "case \(i)")
        }
    }

    @Test func constantScoresAreUndefinedNotZero() {
        #expect(Stats.spearman([1, 2, 3], [0, 0, 0]) == nil)
        #expect(Stats.kendall([1, 1, 1], [1, 2, 3]) == nil)
        #expect(Stats.permutationPValue([1, 2, 3], [5, 5, 5]) == nil)
    }

    @Test func gapUsesAverageRanksForTies() {
        // four components, C ties at 0 for three of them
        // rank(G) = 4 3 2 1; rank(C) = 2 2 2 4 (average) or 1 2 3 4 (ordinal)
        let average: [Double] = [2, 1, 0, -3], ordinal: [Double] = [3, 1, -1, -3]
        #expect(Stats.gap([4, 3, 2, 1], [0, 0, 0, 1]) == average)
        #expect(Stats.gap([4, 3, 2, 1], [0, 0, 0, 1], method: .ordinal) == ordinal)
    }

    @Test func permutationAndBootstrap() {
        let x = (0..<20).map(Double.init), y = x.map { $0 * 2 + 1 }
        let p = Stats.permutationPValue(x, y, permutations: 999, seed: 1)!
        #expect(p == 1.0 / 1000)  // no shuffle reaches ρ = 1
        let ci = Stats.bootstrapSpearman(x, y, resamples: 200, seed: 1)!
        #expect(ci.low == 1 && ci.high == 1)
        let noise = Stats.permutationPValue(x, x.map { sin($0 * 12.9898) }, permutations: 999, seed: 1)!
        #expect(noise > 0.05)
    }
}

@Suite("The random generator")
struct RandomTests {
    /// The streams are part of every result: these values must never change.
    @Test func streamsAreStable() {
        var r = Rng(seed: 42, stream: "train")
        let draws = (0..<4).map { _ in r.below(99) }
        var s = Rng(seed: 42, stream: "train")
        _ = s.below(1) // a draw from 0..<1 still consumes one number
        let afterOne = s.below(99)
        #expect(afterOne == draws[1])
        var t = Rng(seed: 7)
        #expect(t.next() != t.next())
    }
}
