import CLua
import CLuaShim
import Foundation
import GCLua

/// The read-eval-print loop, after lua.c's doREPL: each line is first tried as an
/// expression (`return <line>;`), then as a statement; an incomplete statement (a syntax
/// error at <eof>) reads more lines with the continuation prompt. Results are printed by
/// `gcgap.pretty.print` (tables readably), errors reported, and the loop goes on.
final class REPL {
    let host: Host
    let editor: LineEditor

    init(host: Host) {
        self.host = host
        editor = LineEditor(historyFile: LineEditor.defaultHistoryFile(noEnvironment: host.noEnvironment),
                            completer: Completer(lua: host.lua))
    }

    enum Loaded { case chunk(Int32), endOfFile, interrupted }

    func run() {
        let lua = host.lua
        while true {
            lua.top = 0
            switch loadChunk() {
            case .endOfFile:
                editor.close()
                lua.top = 0
                return
            case .interrupted:
                continue
            case .chunk(var status):
                if status == LUA_OK { status = host.docall(nargs: 0, nresults: Int32(gcshim_multret())) }
                if status == LUA_OK { printResults() } else { host.report(status, prefix: false) }
            }
        }
    }

    private func prompt(_ first: Bool) -> String {
        let lua = host.lua
        lua.pushGlobals()
        defer { lua.pop(2) }
        lua.rawField(-1, first ? "_PROMPT" : "_PROMPT2")
        if let s = lua.string(at: -1) { return s }
        return first ? "> " : ">> "
    }

    private func isIncomplete(_ status: Int32) -> Bool {
        guard status == LUA_ERRSYNTAX, let msg = host.lua.string(at: -1) else { return false }
        return msg.hasSuffix("<eof>")
    }

    private func loadChunk() -> Loaded {
        let lua = host.lua
        let first: String
        switch editor.read(prompt: prompt(true), L: lua.L) {
        case .endOfFile: return .endOfFile
        case .interrupted: return .interrupted
        case .line(let l): first = l
        }
        // an expression?
        if lua.load("return " + first + ";", name: "=stdin") == LUA_OK {
            editor.remember(first)
            return .chunk(LUA_OK)
        }
        lua.pop()
        var buffer = first
        while true {
            let status = lua.load(buffer, name: "=stdin")
            guard isIncomplete(status) else {
                editor.remember(buffer)
                return .chunk(status)
            }
            lua.pop()
            switch editor.read(prompt: prompt(false), L: lua.L) {
            case .endOfFile:
                editor.remember(buffer)
                return .chunk(lua.load(buffer, name: "=stdin"))
            case .interrupted: return .interrupted
            case .line(let l): buffer += "\n" + l
            }
        }
    }

    /// Prints the values on the stack with gcgap.pretty.print, or the global print.
    private func printResults() {
        let lua = host.lua, L = lua.L
        let n = lua.top
        guard n > 0 else { return }
        lua.pushGlobals()
        var found = false
        if lua.rawField(-1, "gcgap") == LUA_TTABLE, lua.rawField(-1, "pretty") == LUA_TTABLE,
           lua.rawField(-1, "print") == LUA_TFUNCTION {
            found = true
        }
        if !found {
            lua.top = n
            lua.pushGlobals()
            lua.rawField(-1, "print")
        }
        gcshim_insert(L, 1) // the function below the n values; the tables above them
        lua.top = n + 1
        let status = host.docall(nargs: n, nresults: 0)
        if status != LUA_OK {
            host.message("error calling 'print' (\(lua.errorMessage(at: -1)))", prefix: false)
            lua.pop()
        }
    }
}
