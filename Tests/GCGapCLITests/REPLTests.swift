import Foundation
import Testing

/// The REPL under a real terminal: tmux runs gcgap, send-keys types, capture-pane reads.
@Suite("The REPL in a terminal", .serialized)
struct REPLTests {
    let socket = "gcgap-test-\(getpid())"
    let dir: String

    init() throws { dir = try temporaryFolder() }

    /// Runs tmux through the C library's system()/popen(), which wait for the tmux client
    /// itself (Foundation's Process does not notice the exit of a client that leaves a
    /// server daemon behind).
    @discardableResult
    func tmux(_ args: String...) throws -> String {
        let command = (["tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        guard args.first == "capture-pane" else {
            _ = system(command + " >/dev/null 2>&1")
            return ""
        }
        guard let f = popen(command + " 2>/dev/null", "r") else { return "" }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        pclose(f)
        return String(decoding: out, as: UTF8.self)
    }

    func start() throws {
        let cmd = "env GCGAP_HISTORY=\(dir)/history TERM=xterm \(gcgapBinary)"
        try tmux("new-session", "-d", "-s", "repl", "-x", "120", "-y", "50", cmd)
        try waitFor("\n>") // (capture-pane trims the prompt's trailing space)
    }

    func screen() throws -> String { try tmux("capture-pane", "-p", "-t", "repl", "-S", "-100") }

    /// Types text literally (send-keys -l) and key names (Enter, Tab, Up, C-c, C-d, C-u) as keys.
    func type(_ keys: String...) throws {
        let names: Set<String> = ["Enter", "Tab", "Up", "C-c", "C-d", "C-u"]
        for k in keys {
            if names.contains(k) { try tmux("send-keys", "-t", "repl", k) } else { try tmux("send-keys", "-t", "repl", "-l", k) }
        }
    }

    @discardableResult
    func waitFor(_ text: String, timeout: Double = 15) throws -> String {
        let end = Date().addingTimeInterval(timeout)
        var s = ""
        while Date() < end {
            s = try screen()
            if s.contains(text) { return s }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(text.debugDescription); screen:\n\(s)")
        return s
    }

    func stop() { _ = try? tmux("kill-server") }

    @Test func aSession() throws {
        guard system("command -v tmux >/dev/null 2>&1") == 0 else {
            Issue.record("tmux is needed for the REPL tests (apt-get install tmux)")
            return
        }
        defer { stop() }
        try start()
        // multi-line input by incomplete-statement detection
        try type("for i=1,2 do", "Enter", "print(i)", "Enter", "end", "Enter")
        try waitFor(">> end\n1\n2\n")
        // expressions print, tables readably
        try type("1+1", "Enter")
        try waitFor("> 1+1\n2\n")
        try type("{1, 2, x = {y = 'z'}}", "Enter")
        try waitFor("{1, 2, x = {y = \"z\"}}")
        // Tab completes globals and fields
        try type("gcg", "Tab")
        try waitFor("> gcgap")
        try type(".ta", "Tab")
        try waitFor("> gcgap.task")
        try type("C-u")
        // Ctrl-C interrupts a running chunk and returns to the prompt
        try type("while true do end", "Enter")
        usleep(300_000)
        try type("C-c")
        try waitFor("interrupted!")
        try type("print('alive')", "Enter")
        try waitFor("\nalive\n")
        // ... also a loop inside a coroutine
        try type("coroutine.wrap(function() while true do end end)()", "Enter")
        usleep(300_000)
        try type("C-c")
        try type("print('after the coroutine')", "Enter")
        try waitFor("\nafter the coroutine\n")
        // ... and a native loop (training) too, keeping the model as trained so far
        try type("m = gcgap.model{n_layers = 1, d_model = 16, n_heads = 2, d_head = 8, d_mlp = 32, seed = 1}", "Enter")
        try type("m:train(gcgap.task.reverse(), {steps = 1e7, target = false})", "Enter")
        usleep(500_000)
        try type("C-c")
        try waitFor("> m:train(gcgap.task.reverse(), {steps = 1e7, target = false})")
        try waitFor("interrupted!\n")
        try type("print('trained: ' .. tostring(m ~= nil))", "Enter")
        try waitFor("\ntrained: true\n")
        // errors are reported and the REPL goes on
        try type("error('oops')", "Enter")
        try waitFor("stdin:1: oops")
        try type("print('still here')", "Enter")
        try waitFor("\nstill here\n")
        try type("if true then", "Enter", "print('multi' .. 'line')", "Enter", "end", "Enter")
        try waitFor("\nmultiline\n")
        // Ctrl-C at the prompt clears the line; Ctrl-D exits
        try type("half a line", "C-c")
        try waitFor("^C")
        try type("C-d")
        usleep(300_000)
        // history survives a restart, a multi-line chunk as one entry
        _ = try? tmux("kill-server")
        try start()
        try type("Up")
        try waitFor("> if true then")
        try type("Enter")
        try waitFor("\nmultiline\n")
        // (the chunk run again is the newest entry now, the original the one before it)
        try type("Up", "Up", "Up")
        try waitFor("> print('still here')")
    }
}
