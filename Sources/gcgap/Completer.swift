import CLua
import CLuaShim
import CReadline
import Foundation
import GCLua

/// Tab completion of globals, of table fields after '.', and of methods after ':'
/// (userdata methods come from their metatable's `__methods`/`__index` tables). Only raw
/// lookups are used, so completing never runs Lua code.
final class Completer {
    static var current: Completer?
    let lua: LuaState
    private var candidates: [String] = []
    private var next = 0

    static let keywords = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                           "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]

    init(lua: LuaState) { self.lua = lua }

    func install() {
        Completer.current = self
        rl_basic_word_break_characters = UnsafePointer(strdup(" \t\n\"\\'`@$><=;|&{}()[],+-*/%^#~"))
        rl_attempted_completion_function = { text, _, _ in
            rl_attempted_completion_over = 1   // no filename completion as a fallback
            rl_completion_append_character = 0 // no space after a name: '.' or ':' may follow
            guard let text = text else { return nil }
            return rl_completion_matches(text) { text, state in
                guard let c = Completer.current, let text = text else { return nil }
                if state == 0 { c.candidates = c.complete(String(cString: text)); c.next = 0 }
                guard c.next < c.candidates.count else { return nil }
                defer { c.next += 1 }
                return strdup(c.candidates[c.next])
            }
        }
    }

    /// Candidates for the word being typed, e.g. "gcgap.ta" -> ["gcgap.task"].
    func complete(_ word: String) -> [String] {
        let L = lua.L
        let base = lua.top
        defer { lua.top = base }
        let sepIndex = word.lastIndex { $0 == "." || $0 == ":" }
        var prefix = "", partial = word, method = false
        lua.pushGlobals()
        if let si = sepIndex {
            prefix = String(word[...si])
            partial = String(word[word.index(after: si)...])
            method = word[si] == ":"
            let path = word[..<si].split(separator: ".", omittingEmptySubsequences: false)
            for part in path {
                guard !part.isEmpty else { return [] }
                let t = lua_type(L, -1)
                if t == LUA_TTABLE { lua.rawField(-1, String(part)) }
                else if t == LUA_TUSERDATA, pushIndexTable(-1) { lua.rawField(-1, String(part)) }
                else { return [] }
            }
        }
        var names = Set<String>()
        collectKeys(from: lua.top, into: &names, methodsOnly: method, depth: 0)
        if sepIndex == nil { names.formUnion(Completer.keywords) }
        return names.filter { $0.hasPrefix(partial) }.sorted().map { prefix + $0 }
    }

    /// Pushes the methods table of the userdata at `i` (its `__methods` or table
    /// `__index`); returns false (pushing nothing) when there is none.
    private func pushIndexTable(_ i: Int32) -> Bool {
        let L = lua.L
        guard lua_getmetatable(L, i) != 0 else { return false }
        for key in ["__methods", "__index"] {
            if lua.rawField(-1, key) == LUA_TTABLE { gcshim_remove(L, -2); return true }
            lua.pop()
        }
        lua.pop()
        return false
    }

    private func collectKeys(from idx: Int32, into names: inout Set<String>, methodsOnly: Bool, depth: Int) {
        let L = lua.L
        let t = lua_type(L, idx)
        if t == LUA_TUSERDATA {
            if pushIndexTable(idx) { collectKeys(from: lua.top, into: &names, methodsOnly: methodsOnly, depth: depth + 1); lua.pop() }
            return
        }
        guard t == LUA_TTABLE else { return }
        lua_pushnil(L)
        while lua_next(L, idx) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let k = lua.string(at: -2), isIdentifier(k),
               !methodsOnly || lua_type(L, -1) == LUA_TFUNCTION {
                names.insert(k)
            }
            lua.pop()
        }
        // fields reachable through a table __index (e.g. module tables with defaults)
        if depth < 3, lua_getmetatable(L, idx) != 0 {
            if lua.rawField(-1, "__index") == LUA_TTABLE {
                collectKeys(from: lua.top, into: &names, methodsOnly: methodsOnly, depth: depth + 1)
            }
            lua.pop(2)
        }
    }

    private func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.properties.isAlphabetic && f.isASCII) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
