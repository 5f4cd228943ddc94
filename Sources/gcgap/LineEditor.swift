import CReadline
import CLuaShim
import Foundation

/// Reads lines for the REPL: GNU readline (callback interface, so Ctrl-C can cancel the
/// line being typed) when stdin is a terminal, plain reads with a printed prompt otherwise.
final class LineEditor {
    enum Input { case line(String), endOfFile, interrupted }

    let interactiveTerminal: Bool
    let historyFile: String?
    private static var received: String?? = nil

    init(historyFile: String?, completer: Completer?) {
        interactiveTerminal = isatty(0) != 0 && isatty(1) != 0
        self.historyFile = historyFile
        guard interactiveTerminal else { return }
        rl_readline_name = UnsafePointer(strdup("gcgap"))
        rl_catch_signals = 0
        using_history()
        stifle_history(Int32(LineEditor.historySize))
        // a multi-line chunk comes back as one entry after a restart: each entry is written
        // after a timestamp line ("#1733300000", as bash writes them), and the lines up to the
        // next one are read as one entry; a file of an older gcgap (no timestamps) is read
        // line by line, as it was written
        history_comment_char = 35 // '#'
        history_write_timestamps = 1
        if let f = historyFile {
            history_multiline_entries = LineEditor.hasTimestamps(f) ? 1 : 0
            _ = read_history(f)
        }
        if let c = completer { c.install() }
    }

    static let historySize = 1000

    /// Whether a history file starts with a timestamp line (written by this gcgap).
    static func hasTimestamps(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return true }
        defer { try? h.close() }
        return (try? h.read(upToCount: 1))?.first == 35
    }

    /// Reads one line; `L` is the Lua state whose interrupt flag is shared.
    func read(prompt: String, L: OpaquePointer) -> Input {
        guard interactiveTerminal else {
            FileHandle.standardOutput.write(prompt.data(using: .utf8)!)
            fflush(stdout)
            guard let line = Swift.readLine(strippingNewline: true) else { return .endOfFile }
            return .line(line)
        }
        gcshim_interrupt_clear()
        gcshim_sigint_mode(L, Int32(GCSHIM_SIGINT_PROMPT))
        defer { gcshim_sigint_mode(L, Int32(GCSHIM_SIGINT_DEFAULT)) }
        LineEditor.received = nil
        rl_callback_handler_install(prompt) { line in
            if let line = line {
                LineEditor.received = .some(String(cString: line))
                free(line)
            } else {
                LineEditor.received = .some(nil)
            }
            rl_callback_handler_remove()
        }
        while true {
            if let got = LineEditor.received {
                guard let line = got else { FileHandle.standardOutput.write("\n".data(using: .utf8)!); return .endOfFile }
                return .line(line)
            }
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let r = poll(&fds, 1, -1)
            if gcshim_interrupt_pending() != 0 {
                gcshim_interrupt_clear()
                rl_free_line_state()
                rl_callback_sigcleanup()
                rl_callback_handler_remove()
                rl_cleanup_after_signal()
                FileHandle.standardOutput.write("^C\n".data(using: .utf8)!)
                return .interrupted
            }
            if r > 0 { rl_callback_read_char() }
            else if r < 0 && errno != EINTR { return .endOfFile }
        }
    }

    /// Adds a whole chunk to the history (and appends it to the history file at once, so
    /// a crash or a kill loses nothing).
    func remember(_ chunk: String) {
        guard interactiveTerminal, !chunk.allSatisfy({ $0 == " " || $0 == "\t" }) else { return }
        add_history(chunk)
        if let f = historyFile {
            if FileManager.default.fileExists(atPath: f) { _ = append_history(1, f) } else { _ = write_history(f) }
        }
    }

    /// Caps the history file's size.
    func close() {
        guard interactiveTerminal, let f = historyFile else { return }
        _ = history_truncate_file(f, Int32(LineEditor.historySize))
    }

    /// ~/.gcgap_history, or $GCGAP_HISTORY ('' turns history off).
    static func defaultHistoryFile(noEnvironment: Bool) -> String? {
        let env = ProcessInfo.processInfo.environment
        if !noEnvironment, let p = env["GCGAP_HISTORY"] { return p.isEmpty ? nil : p }
        guard let home = env["HOME"], !home.isEmpty else { return nil }
        return home + "/.gcgap_history"
    }
}
