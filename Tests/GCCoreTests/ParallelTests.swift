import Testing
@testable import GCCore

/// G's batches and C's ablations on several threads: each is computed alone and combined
/// in its own order, so every thread count gives the same bits; a model with hooks of its
/// own stays on one thread; an error on a worker thread comes back to the caller.
@Suite("Analysis passes on several threads", .serialized)
struct ParallelTests {
    func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let saved = Parallelism.threads
        Parallelism.threads = n
        defer { Parallelism.threads = saved }
        return try body()
    }

    @Test func gradientAndCausalScoresAreTheSameBitsOnAnyThreadCount() throws {
        let m = try randomModel(tinyConfig(positions: .learned), seed: 31)
        let task = AlgorithmicTask.reverse()
        let batches = try (0..<7).map { try task.batch(size: 6, lengths: 3...5, seed: UInt64($0), stream: "par") }
        let set = try task.batch(size: 11, lengths: 4...4, seed: 9, stream: "par")
        let means = try m.componentMeans(set)
        func run() throws -> ([Component: Double], [Component: Double], [Component: Double], [Component: Double]) {
            let (g, t) = try m.gradientAndTaylorScores(batches)
            let c = try m.causalScores(set, ablation: .mean(means), metrics: [.accuracy, .loss])
            return (g, t, c[0].ablated, c[1].ablated)
        }
        let one = try withThreads(1) { try run() }
        for n in [2, 3, 8] {
            let many = try withThreads(n) { try run() }
            #expect(one.0 == many.0 && one.1 == many.1, "G, \(n) threads")
            #expect(one.2 == many.2 && one.3 == many.3, "C, \(n) threads")
        }
    }

    /// The threads' model copies are kept from call to call: each call gives them the
    /// model's parameters as they are then.
    @Test func keptCopiesFollowTheParameters() throws {
        let m = try randomModel(tinyConfig(), seed: 34)
        let task = AlgorithmicTask.sort()
        let batches = try (0..<4).map { try task.batch(size: 5, lengths: 3...4, seed: UInt64($0), stream: "kept") }
        _ = try withThreads(2) { try m.gradientScores(batches) }
        var w = try m.tensor(named: "blocks.0.mlp.W_in")
        for i in 0..<w.count { w.data[i] *= 1.5 }
        try m.setTensor(named: "blocks.0.mlp.W_in", w)
        let two = try withThreads(2) { try m.gradientScores(batches) }
        let one = try withThreads(1) { try m.gradientScores(batches) }
        #expect(two == one)
    }

    @Test func workerErrorsAndStopsReachTheCaller() throws {
        let m = try randomModel(tinyConfig(), seed: 32)
        try withThreads(2) {
            #expect(throws: GCError.self) {
                _ = try Parallel.map(10, model: m) { _, i -> Int in
                    if i == 7 { throw GCError("item 7") }
                    return i
                }
            }
            var asked = 0
            #expect(throws: GCError.self) {
                _ = try Parallel.map(10, model: m, shouldStop: { asked += 1; return asked > 3 }) { _, i in i }
            }
            let squares = try Parallel.map(10, model: m) { _, i in i * i }
            #expect(squares == (0..<10).map { $0 * $0 })
        }
    }

    @Test func aModelWithItsOwnHooksStaysOnOneThread() throws {
        let m = try randomModel(tinyConfig(), seed: 33)
        let id = try m.addHook(.site(.residPre, layer: 0, head: -1)) { _ in false }
        defer { m.removeHook(id) }
        let used = try withThreads(4) { try Parallel.map(6, model: m) { w, _ in ObjectIdentifier(w) } }
        #expect(Set(used) == [ObjectIdentifier(m)])
    }
}
