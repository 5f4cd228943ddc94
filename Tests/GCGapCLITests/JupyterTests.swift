import Foundation
import Testing

/// Issue 20: gcgap in Jupyter. The kernel's Lua side answers one JSON request per line
/// (stdlib/gcgap/kernel.lua); `gcgap --install-kernel` writes a kernelspec and a venv with
/// Jupyter's packages from PyPI; the example notebooks run headless through that kernel.
@Suite("Jupyter kernel", .serialized)
struct JupyterTests {
    /// The replies of the kernel's Lua side to `requests` (one JSON object each).
    func serve(_ requests: [String]) throws -> [[String: Any]] {
        let r = try gcgap(["-e", "require('gcgap.kernel').serve()"], stdin: requests.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\u{1e}", omittingEmptySubsequences: false).dropFirst().map { part in
            let line = part.split(separator: "\n", maxSplits: 1)[0]
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
    }

    @Test func cellsRunAsInTheREPLWithRichValues() throws {
        let replies = try serve([
            #"{"op":"execute","code":"x = 20"}"#,
            #"{"op":"execute","code":"y = x + 1\ny * 2"}"#,
            #"{"op":"execute","code":"require('gcgap.plot').bar{labels = {'a'}, values = {1}}"}"#,
            #"{"op":"execute","code":"gcgap.zeros{2, 2}"}"#,
            #"{"op":"execute","code":"error('boom')"}"#,
            #"{"op":"execute","code":"x"}"#,
            #"{"op":"complete","code":"gcgap.score.cau","cursor":15}"#,
            #"{"op":"inspect","code":"gcgap.cat","cursor":9}"#,
            #"{"op":"execute","code":"require('gcgap.plot').markdown('| a |\\n|---|\\n| 1 |')"}"#,
        ])
        #expect(replies.count == 9)
        func data(_ k: Int) -> [String: Any] {
            ((replies[k]["displays"] as? [[String: Any]])?.first?["data"] as? [String: Any]) ?? [:]
        }
        #expect(replies[0]["status"] as? String == "ok" && (replies[0]["displays"] as? [Any])?.isEmpty == true)
        #expect(data(1)["text/plain"] as? String == "42")
        #expect((data(2)["image/svg+xml"] as? String)?.hasPrefix("<svg") == true)
        #expect((data(3)["text/html"] as? String)?.hasPrefix("<table>") == true)
        #expect(replies[4]["status"] as? String == "error" && replies[4]["evalue"] as? String == "cell:1: boom")
        #expect(data(5)["text/plain"] as? String == "20", "the state survives an error")
        #expect(replies[6]["matches"] as? [String] == ["gcgap.score.causal"])
        #expect((replies[7]["text"] as? String)?.hasPrefix("gcgap.cat(tensors [, dim])") == true)
        #expect(data(8)["text/markdown"] as? String == "| a |\n|---|\n| 1 |" && data(8)["text/plain"] as? String == "| a |\n|---|\n| 1 |")
        // a figure of one unnamed series has no legend (it used to say "value")
        #expect((data(2)["image/svg+xml"] as? String)?.contains(">value<") == false)
    }

    @Test func anInterruptStopsANativeLoopAndTheKernelGoesOn() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gcgapBinary)
        p.arguments = ["-e", "require('gcgap.kernel').serve()"]
        let inp = Pipe(), out = Pipe()
        p.standardInput = inp; p.standardOutput = out; p.standardError = FileHandle.nullDevice
        try p.run()
        let train = #"{"op":"execute","code":"m = gcgap.model{seed = 1}; m:train(gcgap.task.sort(), {steps = 1000000, target = false, quiet = true})"}"#
        inp.fileHandleForWriting.write((train + "\n").data(using: .utf8)!)
        Thread.sleep(forTimeInterval: 1.5)
        kill(p.processIdentifier, SIGINT)
        inp.fileHandleForWriting.write((#"{"op":"execute","code":"1 + 1"}"# + "\n").data(using: .utf8)!)
        try inp.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains(#""ename":"Interrupted""#))
        #expect(text.contains(#""text/plain":"2""#))
        #expect(p.terminationStatus == 0)
    }

    @Test(.timeLimit(.minutes(10))) func theExampleNotebooksRunThroughTheInstalledKernel() throws {
        let prefix = try temporaryFolder()
        let install = try gcgap(["--install-kernel", "--prefix", prefix])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        let spec = try String(contentsOfFile: prefix + "/share/jupyter/kernels/gcgap/kernel.json", encoding: .utf8)
        #expect(spec.contains(#""display_name": "gcgap (Lua)""#) && spec.contains(gcgapBinary))
        let notebooks = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/examples")
            .filter { $0.hasSuffix(".ipynb") }.sorted().map { repositoryRoot + "/examples/" + $0 }
        #expect(notebooks.count == 3)
        let summary = try shell(["JUPYTER_PATH=" + prefix + "/share/jupyter", prefix + "/share/gcgap/venv/bin/python",
                                 repositoryRoot + "/scripts/run_notebooks.py", "--out", prefix + "/out"] + notebooks)
        let lines = summary.split(separator: "\n").filter { $0.contains("code cells ran") }
        #expect(lines.count == 3, "\(summary)")
        for line in lines { #expect(!line.contains(" 0 figures"), "every example shows a figure: \(line)") }
    }
}

/// The newcomer's three tasks of issue 20 (a new task, a pruning curve, patching one
/// position), as short scripts that run.
@Suite("Newcomer examples")
struct NewcomerExampleTests {
    @Test func theThreeExamplesRunAndSayWhatTheyFound() throws {
        let dir = try temporaryFolder()
        let root = repositoryRoot + "/scripts/examples/newcomer/"
        let task = try gcgap([root + "new_task.lua"], cwd: dir)
        #expect(task.status == 0 && task.stdout.hasPrefix("shift: "), "\(task.stderr)")
        let pruning = try gcgap([root + "pruning_curve.lua"], cwd: dir)
        #expect(pruning.status == 0, "\(pruning.stderr)")
        let svg = try String(contentsOfFile: dir + "/pruning.svg", encoding: .utf8)
        #expect(svg.contains("G order") && svg.contains("C order"))
        let patch = try gcgap([root + "patch_position.lua"], cwd: dir)
        #expect(patch.status == 0 && patch.stdout.hasPrefix("clean answer tokens, of 192: none patched "), "\(patch.stderr)")
        for name in ["new_task", "pruning_curve", "patch_position"] {
            let lines = try String(contentsOfFile: root + name + ".lua", encoding: .utf8).split(separator: "\n").count
            #expect(lines <= 20, "\(name).lua has \(lines) lines")
        }
    }
}
