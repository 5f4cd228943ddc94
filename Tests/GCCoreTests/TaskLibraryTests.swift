import Testing
@testable import GCCore

/// The task library: each task's target on worked examples, its sampler's invariants, and
/// the library's names (one list, used by Lua's gcgap.task and the experiment pipeline).
@Suite("Task library")
struct TaskLibraryTests {
    func target(_ name: String, _ x: [Int32]) throws -> [Int32] {
        try #require(AlgorithmicTask.named(name)).target(x)
    }

    @Test func targetsOnWorkedExamples() throws {
        #expect(try target("copy", [5, 3, 9]) == [5, 3, 9])
        #expect(try target("modadd", [7, 5, 9]) == [7, 2, 1])        // 7, 12 mod 10, 21 mod 10
        #expect(try target("histogram", [4, 2, 4, 4]) == [3, 1, 3, 3])
        #expect(try target("brackets", [1, 1, 2, 1, 2, 2]) == [11, 12, 11, 12, 11, 10])
        #expect(try target("induction", [17, 3, 88]) == [17, 3, 88])
        #expect(try target("reverse", [1, 2, 3]) == [3, 2, 1])
        #expect(try target("sort", [3, 1, 2]) == [1, 2, 3])
    }

    @Test func samplersKeepTheirInvariants() throws {
        var rng = Rng(seed: 7, stream: "test")
        let brackets = AlgorithmicTask.brackets(), induction = AlgorithmicTask.induction()
        for n in 1...40 {
            let b = try brackets.input(length: n, rng: &rng)
            #expect(b.count == n && b.allSatisfy { $0 == 1 || $0 == 2 })
            // a prefix of a balanced string: the depth never goes below 0
            var depth = 0
            for t in b { depth += t == 1 ? 1 : -1; #expect(depth >= 0) }
            let x = try induction.input(length: min(n, 99), rng: &rng)
            #expect(Set(x).count == x.count, "induction tokens are distinct")
            #expect(x.allSatisfy { (1...99).contains($0) })
        }
        #expect(throws: GCError.self) { try induction.input(length: 100, rng: &rng) }
        let h = try AlgorithmicTask.histogram().input(length: 50, rng: &rng)
        #expect(h.allSatisfy { (1...10).contains($0) })
        let d = try AlgorithmicTask.modularAddition().input(length: 50, rng: &rng)
        #expect(d.allSatisfy { (0...9).contains($0) } && d.contains(0))
    }

    @Test func theLibraryIsOneListOfDistinctNames() {
        let names = AlgorithmicTask.library.map(\.name)
        #expect(names == ["reverse", "sort", "copy", "modadd", "histogram", "brackets", "induction"])
        for name in names { #expect(AlgorithmicTask.named(name)?.name == name) }
        #expect(AlgorithmicTask.named("nope") == nil)
    }

    @Test func batchesAreDeterministicInTheSeed() throws {
        for (name, make) in AlgorithmicTask.library {
            let a = try make().batch(size: 8, lengths: 3...7, seed: 42, stream: "t")
            let b = try make().batch(size: 8, lengths: 3...7, seed: 42, stream: "t")
            #expect(a.rows == b.rows, "\(name)")
        }
    }
}
