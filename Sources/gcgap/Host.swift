import CLua
import CLuaShim
import Foundation
import GCCore
import GCLua

/// The interpreter around one Lua state: paths, the `gcgap` module, running chunks the
/// way lua.c does (message handler with traceback, SIGINT armed while Lua runs).
final class Host {
    let lua: LuaState
    let progname = "gcgap"
    let noEnvironment: Bool

    /// Whether binary chunks load (-b, GCGAP_BINARY_CHUNKS=1; never in a sandbox).
    let binaryChunks: Bool
    /// Whether the state is a sandbox (--sandbox).
    private(set) var sandboxed = false

    init(noEnvironment: Bool, binaryChunks: Bool) throws {
        self.noEnvironment = noEnvironment
        self.binaryChunks = binaryChunks
        lua = try LuaState(noEnvironment: noEnvironment)
        GCGapModule.install(lua)
        GCGapModule.stdlib = Host.stdlibFolder(noEnvironment: noEnvironment)
        if let dir = GCGapModule.stdlib { prependPath(dir + "/?.lua;" + dir + "/?/init.lua") }
        if !binaryChunks { try lua.refuseBinaryChunks() }
    }

    /// Makes the state a sandbox for `script` (argv index) writing in `folder`: the files
    /// named after the script are readable; returns argv with the script's path absolute
    /// (the sandbox's working folder is `folder`).
    func enterSandbox(_ argv: [String], script: Int?, folder: String, memory: Int?, time: Double?) throws -> [String] {
        var argv = argv
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
        var cfg = SandboxConfig(folder: absolute(folder))
        if let k = script, argv[k] != "-" {
            argv[k] = absolute(argv[k])
            cfg.scriptFolder = URL(fileURLWithPath: argv[k]).deletingLastPathComponent().path
            // the files named after the script are readable, and the script sees them by
            // absolute path (its working folder is `folder`)
            for j in (k + 1)..<argv.count {
                var isDir: ObjCBool = false
                let p = absolute(argv[j])
                if FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && !isDir.boolValue {
                    cfg.readable.append(p)
                    argv[j] = p
                }
            }
        }
        cfg.stdlib = GCGapModule.stdlib
        cfg.memoryLimit = memory
        cfg.timeLimit = time
        try lua.enterSandbox(cfg)
        gclimits_enter(lua.limits)
        sandboxed = true
        return argv
    }

    var L: LuaStatePointer { lua.L }

    /// Where the Lua stdlib is: $GCGAP_PATH, else a `stdlib` folder holding
    /// `gcgap/init.lua` beside the executable or up to four folders above it (a build
    /// tree), else `<prefix>/share/gcgap/stdlib`.
    static func stdlibFolder(noEnvironment: Bool) -> String? {
        let fm = FileManager.default
        if !noEnvironment, let p = ProcessInfo.processInfo.environment["GCGAP_PATH"], !p.isEmpty { return p }
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in [dir.appendingPathComponent("stdlib"), dir.appendingPathComponent("share/gcgap/stdlib")]
            where fm.fileExists(atPath: candidate.appendingPathComponent("gcgap/init.lua").path) {
                return candidate.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// package.path = prefix .. ";" .. package.path
    func prependPath(_ prefix: String) {
        lua.pushPackageTable(nil)
        lua.rawField(-1, "path")
        let old = lua.string(at: -1) ?? ""
        lua.pop()
        lua.push(prefix + ";" + old)
        lua.setField(-2, "path")
        lua.pop()
    }

    /// Makes `gcgap` a global (the stdlib module, or the bare native one if the stdlib
    /// cannot be found, with a warning).
    func loadGCGap() {
        if sandboxed { return }   // (the sandbox's prelude loaded it)
        do {
            try lua.run("gcgap = require 'gcgap'; help = gcgap.help", name: "=(gcgap)")
        } catch {
            message("warning: the Lua stdlib was not found or failed to load (\(error)); set GCGAP_PATH to gcgap's stdlib folder")
            try? lua.run("package.loaded.gcgap = require 'gcgap.core'; gcgap = package.loaded.gcgap", name: "=(gcgap)")
        }
    }

    func message(_ text: String, prefix: Bool = true) {
        FileHandle.standardError.write(((prefix ? progname + ": " : "") + text + "\n").data(using: .utf8)!)
    }

    /// Reports a failed status: the message on top, to stderr.
    @discardableResult
    func report(_ status: Int32, prefix: Bool = true) -> Int32 {
        if status != LUA_OK {
            message(lua.errorMessage(at: -1), prefix: prefix)
            lua.pop()
        }
        return status
    }

    /// Calls the function below `nargs` arguments with the traceback handler and SIGINT
    /// armed (lua.c's docall). Results stay on the stack.
    func docall(nargs: Int32, nresults: Int32) -> Int32 {
        let base = lua.top - nargs
        lua_pushcclosure(L, gcshim_msghandler, 0)
        gcshim_insert(L, base)
        gcshim_interrupt_clear()
        gcshim_sigint_mode(L, Int32(GCSHIM_SIGINT_RUNNING))
        let status = gcshim_pcall(L, nargs, nresults, base)
        gcshim_sigint_mode(L, Int32(GCSHIM_SIGINT_DEFAULT))
        gcshim_interrupt_clear()
        gcshim_remove(L, base)
        return status
    }

    func dochunk(_ status: Int32) -> Int32 {
        var s = status
        if s == LUA_OK { s = docall(nargs: 0, nresults: 0) }
        return report(s)
    }

    func dostring(_ code: String, name: String) -> Int32 { dochunk(lua.load(code, name: name)) }

    /// The load mode of files the host runs: text, unless binary chunks are allowed.
    var fileMode: String { binaryChunks && !sandboxed ? "bt" : "t" }

    func dofile(_ path: String?) -> Int32 { dochunk(luaL_loadfilex(L, path, fileMode)) }

    /// `-l mod` or `-l g=mod`: global g = require(mod).
    func dolibrary(_ spec: String) -> Int32 {
        var global = spec, mod = spec
        if let eq = spec.firstIndex(of: "=") { global = String(spec[..<eq]); mod = String(spec[spec.index(after: eq)...]) }
        else if let dash = spec.firstIndex(of: "-") { global = String(spec[..<dash]) }
        lua.pushGlobals()
        lua.rawField(-1, "require")
        gcshim_remove(L, -2)
        lua.push(mod)
        let status = docall(nargs: 1, nresults: 1)
        if status == LUA_OK { lua.setGlobal(global) }
        return report(status)
    }

    /// The global `arg`: script at 0, its arguments after, the interpreter and options before.
    func createArgTable(_ argv: [String], script: Int) {
        lua.newTable(array: max(0, argv.count - script - 1), hash: script + 1)
        for (i, a) in argv.enumerated() { lua.push(a); lua.setIndex(-2, i - script) }
        lua.setGlobal("arg")
    }

    func handleInit() -> Int32 {
        guard !noEnvironment, let initCode = ProcessInfo.processInfo.environment["GCGAP_INIT"] else { return LUA_OK }
        if initCode.hasPrefix("@") { return dofile(String(initCode.dropFirst())) }
        return dostring(initCode, name: "=GCGAP_INIT")
    }

    /// Runs the script with its arguments as `...` (lua.c's handle_script).
    func handleScript(_ argv: [String], _ script: Int) -> Int32 {
        let fname = argv[script]
        let path: String? = fname == "-" && (script == 0 || argv[script - 1] != "--") ? nil : fname
        if let p = path {
            let dir = URL(fileURLWithPath: p).deletingLastPathComponent().path
            prependPath(dir + "/?.lua;" + dir + "/?/init.lua")
        }
        var status = luaL_loadfilex(L, path, fileMode)
        if status == LUA_OK {
            let args = Array(argv[(script + 1)...])
            for a in args { lua.push(a) }
            status = docall(nargs: Int32(args.count), nresults: Int32(gcshim_multret()))
        }
        return report(status)
    }
}
