import Foundation
import Testing

/// `gcgap --sandbox DIR script [files]`: a shared script runs with allow-listed globals,
/// reads only the files named after it and its folder's, writes only under DIR, and stops
/// at its limits; binary chunks are refused unless -b.
@Suite("The sandbox and binary chunks, from the command line")
struct SandboxCLITests {
    /// Every way out a careless or curious script tries is blocked, and nothing is written
    /// outside DIR.
    @Test func escapesAreBlocked() throws {
        let dir = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/out/link", withDestinationPath: dir + "/outside")
        try "secret".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
        let attempts = [
            "os.execute('touch ../outside/x')", "io.open('../secret.txt')", "debug.getregistry()", "string.dump(function() end)",
            "package.loadlib('libc.so.6', '*')", "require('os').execute('true')", "require('io').open('../secret.txt')",
            "gcgap.read_file('../secret.txt')", "gcgap.read_file('/etc/passwd')", "gcgap.write_file('../outside/y', 'x')",
            "gcgap.write_file('link/z', 'x')", "gcgap.mkdir('link/sub')", "gcgap.dir('/')", "assert(loadfile('../secret.txt'))",
            "gcgap.model{seed = 1, n_layers = 1}:save('../outside/m.safetensors')", "assert(load('\\27Lua'))",
            "package.path = '../?.txt;' .. package.path; require 'secret'", "gcgap.sandbox('return 1', {dir = '.'})",
            "gcgap.core.write_file('/tmp/escaped-by-core', 'x')",
        ]
        let script = attempts.map { "print((pcall(function() \($0) end)))" }.joined(separator: "\n")
        try script.write(toFile: dir + "/escape.lua", atomically: true, encoding: .utf8)
        let r = try gcgap(["--sandbox", "out", "escape.lua"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == String(repeating: "false\n", count: attempts.count), "\(r.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/outside").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/escaped-by-core"))
    }

    /// A real analysis runs inside: train a small model, score it, write a report under DIR,
    /// reading a checkpoint named on the command line.
    @Test func aRealAnalysisRunsInside() throws {
        let dir = try temporaryFolder()
        let script = """
            local given = gcgap.load(arg[1])
            local m = gcgap.model{seed = 3, n_layers = 1, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32}
            local task = gcgap.task.reverse()
            local r = m:train(task, {steps = 40, quiet = true})
            local set = task:batch{size = 64, length = 4, seed = 5}
            local C, base = gcgap.score.causal(m, set)
            local G = gcgap.score.gradient(m, task, {length = 4, batches = 2})
            local d = gcgap.gap(G, C)
            gcgap.mkdir("report")
            gcgap.write_file("report/scores.json", require("gcgap.json").encode({C = C, G = G, delta = d, steps = r.steps}))
            m:save("report/model.safetensors")
            print(r.steps, given:config().n_layers, #gcgap.dir("report"))
            """
        try script.write(toFile: dir + "/analysis.lua", atomically: true, encoding: .utf8)
        _ = try gcgap(["-e", "gcgap.model{seed = 1, n_layers = 2, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16}:save('\(dir)/given.safetensors')"])
        let r = try gcgap(["--sandbox", dir + "/out", dir + "/analysis.lua", dir + "/given.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "40\t2\t2\n")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/report/scores.json"))
    }

    /// The limits stop Lua loops and native loops, and stay tripped (a pcall cannot go on).
    @Test(arguments: [
        (["--limit-time", "1"], "local ok = pcall(function() while true do end end); while true do end", "time limit exceeded"),
        (["--limit-time", "1"], "gcgap.model{seed = 1}:train(gcgap.task.reverse(), {steps = 1000000, quiet = true})", "time limit exceeded"),
        (["--limit-mem", "32M"], "local t = {}; for i = 1, 1e9 do t[i] = i end", "not enough memory"),
        (["--limit-mem", "64M"], "local t = {}; for i = 1, 100 do t[i] = gcgap.zeros(2^22) end", "native memory"),
    ])
    func limitsStopAndStayTripped(limit: [String], code: String, message: String) throws {
        let dir = try temporaryFolder()
        try code.write(toFile: dir + "/s.lua", atomically: true, encoding: .utf8)
        let r = try gcgap(["--sandbox", dir + "/out"] + limit + [dir + "/s.lua"])
        #expect(r.status == 1)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    /// Issue 19's reproducer 4: a mutated string.dump chunk loaded with mode "b" aborted the
    /// host. Binary chunks are refused unless the user opts in.
    @Test func binaryChunksAreRefusedUnlessAllowed() throws {
        let code = "local f, err = load(string.dump(function() return 7 end)); print(f, err)"
        let r = try gcgap(["-e", code])
        #expect(r.status == 0 && r.stdout.contains("nil\tbinary chunks are refused"), "\(r.stdout) \(r.stderr)")
        let b = try gcgap(["-b", "-e", "print(load(string.dump(function() return 7 end))())"])
        #expect(b.status == 0 && b.stdout == "7\n", "\(b.stderr)")
        let e = try gcgap(["-e", "print(load(string.dump(function() return 7 end))())"], environment: ["GCGAP_BINARY_CHUNKS": "1"])
        #expect(e.stdout == "7\n")
    }

    @Test func limitsNeedTheSandbox() throws {
        let r = try gcgap(["--limit-time", "1", "-e", "print(1)"])
        #expect(r.status == 1 && r.stderr.contains("go with '--sandbox DIR'"))
    }
}
