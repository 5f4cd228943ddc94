import Testing
@testable import GCCore

/// The verdict's native resampling: p-values keep their resolution, the tests find what
/// they should, the two-level bootstrap reduces to the recorded ρ when nothing is resampled,
/// and a seed fixes every draw.
@Suite("Resampling")
struct ResamplingTests {
    @Test func aPValueAtTheFloorIsOnlyABound() {
        let p = PValue(hits: 0, resamples: 9999)
        #expect(p.value == 1.0 / 10000 && p.resolution == p.value && p.atFloor)
        #expect(!PValue(hits: 3, resamples: 9999).atFloor)
    }

    @Test func signFlipAndPermutationFindClearEffectsAndNotNoise() throws {
        let clear = try #require(try Resampling.signFlip([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], resamples: 5000, seed: 1))
        #expect(clear.hits <= 5 && clear.value < 0.002)     // 1/1024 of flips reach the all-positive mean
        let none = try #require(try Resampling.signFlip([1, -1, 2, -2, 3, -3], resamples: 5000, seed: 1))
        #expect(none.value > 0.3)
        let apart = try #require(try Resampling.permutation([10, 11, 12, 13], [0, 1, 2, 3], resamples: 5000, seed: 2))
        #expect(apart.value < 0.05)                         // 1 of 70 labelings is as extreme
        let same = try #require(try Resampling.permutation([1, 2, 3, 4], [1, 2, 3, 4], resamples: 5000, seed: 2))
        #expect(same.value > 0.3)
        #expect(try Resampling.signFlip([], resamples: 10, seed: 0) == nil)
    }

    @Test func aSeedFixesTheDraws() throws {
        let d: [Double] = [0.3, -0.1, 0.5, 0.2, -0.4, 0.1]
        let p1 = try Resampling.signFlip(d, resamples: 999, seed: 5), p2 = try Resampling.signFlip(d, resamples: 999, seed: 5)
        #expect(p1 == p2)
        let runs = try Self.runs()
        let a = try Resampling.meanRho(runs, resamples: 200, seed: 9, seeds: true, samples: true)
        let same = try Resampling.meanRho(runs, resamples: 200, seed: 9, seeds: true, samples: true)
        let other = try Resampling.meanRho(runs, resamples: 200, seed: 10, seeds: true, samples: true)
        #expect(a == same)
        #expect(a != other)
    }

    /// Two runs of three components and four samples each.
    static func runs() throws -> [RunSamples] {
        let base: [UInt8] = [1, 1, 1, 0]
        let r1 = try RunSamples(g: [3, 2, 1], rho: nil, base: base, ablated: [[0, 0, 1, 0], [1, 0, 1, 0], [1, 1, 1, 1]])
        let r2 = try RunSamples(g: [1, 2, 3], rho: nil, base: base, ablated: [[1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
        return [r1, r2]
    }

    @Test func resampledCWithEverySampleOnceIsTheRunsC() throws {
        let runs = try Self.runs()
        // C = base accuracy − ablated accuracy: r1 (0.5, 0.25, −0.25), r2 (0, 0.25, 0.75)
        let ones = [Int32](repeating: 1, count: 4)
        #expect(runs[0].resampledRho(counts: ones) == Stats.spearman([3, 2, 1], [0.5, 0.25, -0.25]))
        #expect(runs[1].resampledRho(counts: ones) == Stats.spearman([1, 2, 3], [0, 0.25, 0.75]))
        // nothing resampled: every draw is the mean of the recorded ρ
        let fixed = [RunSamples(g: [1, 2], rho: 0.2), RunSamples(g: [1, 2], rho: 0.6)]
        let draws = try Resampling.meanRho(fixed, resamples: 5, seed: 1, seeds: false, samples: true)
        #expect(draws.allSatisfy { abs($0! - 0.4) < 1e-15 })
    }

    @Test func aStopRequestEndsTheResampling() {
        #expect(throws: GCError.self) { try Resampling.signFlip([1, 2, 3], resamples: 1_000_000, seed: 1, shouldStop: { true }) }
        #expect(throws: GCError.self) { try Resampling.permutation([1], [2], resamples: 1_000_000, seed: 1, shouldStop: { true }) }
        #expect(throws: GCError.self) {
            try Resampling.meanRho([RunSamples(g: [1, 2], rho: 0.5)], resamples: 1_000_000, seed: 1, seeds: true, samples: true, shouldStop: { true })
        }
    }

    @Test func mismatchedSamplesAreRefused() {
        #expect(throws: GCError.self) { try RunSamples(g: [1, 2], rho: nil, base: [1, 0], ablated: [[1, 0]]) }
        #expect(throws: GCError.self) { try RunSamples(g: [1], rho: nil, base: [1, 0], ablated: [[1]]) }
        #expect(throws: GCError.self) { try RunSamples(g: [1], rho: nil, base: [], ablated: [[]]) }
    }
}
