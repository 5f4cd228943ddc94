import Foundation
import Testing

/// The project's fuzzers, bounded (issue 8): every function of the API called with random
/// arguments of every type, in coroutines and inside hooks, and corrupted checkpoints. A
/// crash kills the process (the test sees its status); a wrong answer the fuzzers can check
/// makes them exit 1. Longer runs: `gcgap scripts/fuzz/api.lua --calls 200000 --seed N`.
@Suite("Fuzzers", .serialized)
struct FuzzTests {
    /// Runs a fuzzer under a 4 GB address-space limit (a runaway allocation fails at once).
    func fuzz(_ script: String, _ args: [String]) throws -> (status: Int32, out: String) {
        let dir = try temporaryFolder()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // (not under AddressSanitizer, whose shadow memory needs the address space)
        let limit = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil ? "ulimit -v 4000000; " : ""
        p.arguments = ["-c", limit + "exec \"$0\" \"$@\"", gcgapBinary, repositoryRoot + "/scripts/fuzz/" + script]
            + args + ["--quiet"] + (script == "checkpoints.lua" ? ["--dir", dir] : script == "sandbox.lua" ? ["--dir", dir + "/sandbox"] : ["--log", dir + "/api.log"])
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func apiFuzzerFindsNoCrash() throws {
        let r = try fuzz("api.lua", ["--calls", "20000", "--seed", "20261129"])
        #expect(r.status == 0, "the API fuzzer died (status \(r.status)); the last line of its log is the reproducer\n\(r.out.suffix(2000))")
        #expect(r.out.contains("api fuzz: 20000 calls"), "\(r.out.suffix(2000))")
        #expect(r.out.contains("0 crashes") && r.out.contains("wrong answers: 0"), "\(r.out.suffix(2000))")
    }

    @Test func checkpointMutatorFindsNoCrashAndNoWrongAnswer() throws {
        let r = try fuzz("checkpoints.lua", ["--mutants", "2000", "--seed", "20261129"])
        #expect(r.status == 0, "the checkpoint mutator died or found a wrong answer (status \(r.status))\n\(r.out.suffix(2000))")
        #expect(r.out.contains("checkpoint fuzz: 2000 mutants"), "\(r.out.suffix(2000))")
        #expect(r.out.contains("0 accepted different, 0 crashes"), "\(r.out.suffix(2000))")
        #expect(r.out.contains("0 accepted files that the Lua reader finds invalid"), "\(r.out.suffix(2000))")
        // training checkpoints (issue 19): NaN/inf/negative moments, dtypes, step counters
        #expect(r.out.contains("training checkpoints: 200 mutants") && r.out.contains("0 wrong"), "\(r.out.suffix(2000))")
    }

    /// Random scripts trying to reach os, io, debug, package.loadlib, string.dump and files
    /// outside the folder, each in gcgap.sandbox: no escape, nothing written outside.
    @Test func sandboxEscapeFuzzerFindsNoEscape() throws {
        let r = try fuzz("sandbox.lua", ["--scripts", "1000", "--seed", "20261204"])
        #expect(r.status == 0, "the sandbox fuzzer found an escape or died (status \(r.status))\n\(r.out.suffix(3000))")
        #expect(r.out.contains("sandbox fuzz: 1000 scripts (0 failed as a whole)"), "\(r.out.suffix(2000))")
        #expect(r.out.contains("0 escapes, 0 files outside"), "\(r.out.suffix(2000))")
    }
}
