import Foundation
import Testing

/// The command line of Lua's standalone interpreter, as gcgap implements it.
@Suite("gcgap's command line")
struct CommandLineTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: gcgapBinary), "build gcgap first: swift build -c release")
    }

    @Test func executesStrings() throws {
        let r = try gcgap(["-e", "print(1+1)"])
        #expect(r.status == 0 && r.stdout == "2\n")
    }

    @Test func syntaxErrorsFromStdinExitWithOne() throws {
        let r = try gcgap(["-"], stdin: "x = 1 +\n")
        #expect(r.status == 1)
        #expect(r.stderr.contains("gcgap: stdin:2: unexpected symbol near <eof>"))
    }

    @Test func scriptsSeeTheirArguments() throws {
        let dir = try temporaryFolder()
        try "print(arg[0], arg[1], arg[2], arg[-1], select('#', ...), ...)".write(toFile: dir + "/s.lua", atomically: true, encoding: .utf8)
        let r = try gcgap(["-e", "x=1", dir + "/s.lua", "a", "b"])
        #expect(r.status == 0)
        #expect(r.stdout == "\(dir)/s.lua\ta\tb\tx=1\t2\ta\tb\n")
    }

    @Test func runtimeErrorsPrintATracebackAndExitWithOne() throws {
        let r = try gcgap(["-e", "local function f() error('boom') end f()"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("gcgap: (command line):1: boom\nstack traceback:"))
    }

    @Test func requireLibrariesWithDashL() throws {
        let dir = try temporaryFolder()
        try "return {answer = 42}".write(toFile: dir + "/mymod.lua", atomically: true, encoding: .utf8)
        let r = try gcgap(["-l", "mymod", "-l", "g=mymod", "-e", "print(mymod.answer, g.answer)"], cwd: dir)
        #expect(r.stdout == "42\t42\n")
    }

    @Test func modulesNextToTheScriptLoad() throws {
        let dir = try temporaryFolder()
        try "return {hello = 'next to the script'}".write(toFile: dir + "/helper.lua", atomically: true, encoding: .utf8)
        try "print(require('helper').hello)".write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
        let r = try gcgap([dir + "/main.lua"], cwd: "/")
        #expect(r.stdout == "next to the script\n")
    }

    @Test func gcgapIsAGlobalAndAModule() throws {
        let r = try gcgap(["-e", "print(gcgap == require('gcgap'), type(gcgap.model), type(gcgap.pretty.format))"], cwd: "/")
        #expect(r.stdout == "true\tfunction\tfunction\n")
    }

    @Test func initVariableRunsFirstUnlessDashE() throws {
        let r = try gcgap(["-e", "print(X)"], environment: ["GCGAP_INIT": "X = 'from init'"])
        #expect(r.stdout == "from init\n")
        let dir = try temporaryFolder()
        try "X = 'from a file'".write(toFile: dir + "/init.lua", atomically: true, encoding: .utf8)
        #expect(try gcgap(["-e", "print(X)"], environment: ["GCGAP_INIT": "@" + dir + "/init.lua"]).stdout == "from a file\n")
        #expect(try gcgap(["-E", "-e", "print(X)"], environment: ["GCGAP_INIT": "X = 1"]).stdout == "nil\n")
    }

    @Test func badOptionsPrintUsage() throws {
        let r = try gcgap(["-x"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("unrecognized option '-x'") && r.stderr.contains("usage: gcgap"))
        let h = try gcgap(["--help"])
        #expect(h.status == 0 && h.stdout.contains("-e stat") && h.stdout.contains("GCGAP_HISTORY"))
    }

    @Test func stdinRunsAsAScriptWhenNotATerminal() throws {
        let r = try gcgap([], stdin: "print('piped')\n")
        #expect(r.stdout == "piped\n")
    }

    /// SIGINT during native training stops it between steps with "interrupted!" (exit 1).
    /// Runs `script` (which writes a line once its loop starts), sends SIGINT after `wait`
    /// seconds, and returns the exit status and stderr (recording an issue if it hangs).
    func interrupt(_ script: String, after wait: useconds_t) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gcgapBinary)
        p.arguments = ["-e", script]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        _ = out.fileHandleForReading.availableData // the loop is running
        usleep(wait)
        kill(p.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            Issue.record("gcgap did not stop within 10 s of SIGINT")
        }
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, e)
    }

    @Test func ctrlCStopsNativeTraining() throws {
        let r = try interrupt("""
            local m = gcgap.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 1}
            io.stdout:write("training\\n"); io.stdout:flush()
            m:train(gcgap.task.reverse(), {steps = 10000000, quiet = true, target = false})
            print("not reached")
            """, after: 500_000)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("gcgap: interrupted!"), "stderr: \(r.stderr)")
    }

    /// SIGINT stops a Lua loop that runs inside a coroutine (the handler cannot name the
    /// coroutine's thread; the count hook every thread inherits notices the flag).
    @Test func ctrlCStopsALoopInsideACoroutine() throws {
        let r = try interrupt("""
            io.stdout:write("looping\\n"); io.stdout:flush()
            coroutine.wrap(function() local i = 0; while true do i = i + 1 end end)()
            print("not reached")
            """, after: 300_000)
        #expect(r.status == 1)
        #expect(r.stderr.contains("interrupted!"), "stderr: \(r.stderr)")
    }

    /// A write that fails (here the file-size limit, as a full disk would) is an error with
    /// the OS's reason; the old file stays whole and no temporary file is left.
    @Test func aFailedWriteLeavesTheOldFileWhole() throws {
        let dir = try temporaryFolder()
        try "old record".write(toFile: dir + "/r.json", atomically: true, encoding: .utf8)
        let script = "gcgap.write_file('\(dir)/r.json', string.rep('x', 100000))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // SIGXFSZ ignored, so write() returns EFBIG instead of killing the process
        p.arguments = ["-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" -e \"$1\"", gcgapBinary, script]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(e.contains("bad argument #1 to 'write_file' (cannot write '\(dir)/r.json': File too large)"), "stderr: \(e)")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "old record")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
    }

    /// The pipeline's records go through the same writer: a failed record write is an error.
    @Test func pipelineRecordsUseTheAtomicWriter() throws {
        let dir = try temporaryFolder()
        let r = try gcgap(["-e", """
            local E = require 'gcgap.experiment'
            E.write_file('\(dir)/ok.json', '{}')
            local ok, msg = pcall(E.write_file, '/dev/null', '{}')
            local ok2, msg2 = pcall(E.write_file, '\(dir)/no/such/folder.json', '{}')
            print(ok, msg, ok2, msg2)
            """])
        #expect(r.stdout.contains("false\tbad argument #1 to 'write_file' (cannot write '/dev/null': it exists and is not a regular file; refusing to replace it)"), "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("No such file or directory"))
        #expect(try String(contentsOfFile: dir + "/ok.json", encoding: .utf8) == "{}")
    }

    @Test func versionFlag() throws {
        #expect(try gcgap(["-v"]).stdout.hasPrefix("gcgap "))
    }
}
