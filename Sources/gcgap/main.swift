import CLua
import CLuaShim
import Foundation
import GCCore
import GCLua

// gcgap: the Gradient-Causal Gap toolkit, a Lua 5.4 interpreter with the `gcgap` module.
// The flow follows lua.c's pmain.

setvbuf(stdout, nil, _IOLBF, 0)

func versionLine() -> String {
    "gcgap \(GCGapModule.version) (\(String(cString: gcshim_version()))), native core: \(BLAS.kernelName)"
}

func fail(_ message: String) -> Int32 {
    FileHandle.standardError.write("gcgap: \(message)\n".data(using: .utf8)!)
    return 1
}

/// Threads: products on one (OpenBLAS's own threads would change the last bits on the
/// fallback path); the analysis's independent passes on GCGAP_THREADS, by default one per
/// processor (the same bits for any count).
func setThreads(_ options: Options, _ env: [String: String]) {
    BLAS.setThreads(1)
    let threads = options.noEnvironment ? 1 : Int(env["GCGAP_THREADS"] ?? "") ?? Parallelism.processors
    Parallelism.threads = min(max(threads, 1), 256)
}

/// The Lua state with `arg` and the gcgap module, in its sandbox when asked (nil: an error,
/// already reported).
func startHost(_ options: Options, _ arguments: [String]) -> (Host, [String])? {
    let env = ProcessInfo.processInfo.environment
    setThreads(options, env)
    let binary = options.binaryChunks || (!options.noEnvironment && env["GCGAP_BINARY_CHUNKS"] == "1")
    let host: Host
    do { host = try Host(noEnvironment: options.noEnvironment, binaryChunks: binary && options.sandbox == nil) } catch {
        _ = fail("cannot start: \(error)"); return nil
    }
    if options.version { print(versionLine()) }
    var argv = arguments
    if let folder = options.sandbox {
        do {
            argv = try host.enterSandbox(argv, script: options.scriptIndex, folder: folder,
                                         memory: options.limitMemory, time: options.limitTime)
        } catch { _ = fail("cannot enter the sandbox: \(error)"); return nil }
    } else if options.limitMemory != nil || options.limitTime != nil {
        _ = fail("'--limit-mem' and '--limit-time' go with '--sandbox DIR'"); return nil
    }
    host.createArgTable(argv, script: options.scriptIndex ?? arguments.count)
    host.loadGCGap()
    return (host, argv)
}

/// What lua.c's pmain does after the state is ready: LUA_INIT, `-e`/`-l`/`-W` in order, the
/// script, then the REPL (`-i`, or a terminal with nothing else to do) or stdin.
func runActions(_ host: Host, _ options: Options, _ argv: [String]) -> Int32 {
    if host.handleInit() != LUA_OK { return 1 }
    for action in options.actions {
        switch action {
        case .execute(let code): if host.dostring(code, name: "=(command line)") != LUA_OK { return 1 }
        case .require(let mod): if host.dolibrary(mod) != LUA_OK { return 1 }
        case .warnings: lua_warning(host.L, "@on", 0)
        }
    }
    if let script = options.scriptIndex, host.handleScript(argv, script) != LUA_OK { return 1 }
    let hasExecute = options.actions.contains { if case .execute = $0 { return true }; return false }
    if options.interactive {
        REPL(host: host).run()
    } else if options.scriptIndex == nil && !hasExecute && !options.version {
        if isatty(0) != 0 {
            print(versionLine())
            print("help() for an overview, help(f) or help \"name\" for one function; Ctrl-D exits")
            REPL(host: host).run()
        } else if host.dofile(nil) != LUA_OK {
            return 1
        }
    }
    return 0
}

func run() -> Int32 {
    let arguments = CommandLine.arguments
    let options: Options
    do { options = try Options(arguments) } catch let e as OptionError {
        return fail("\(e.message)\n\(Options.usage)")
    } catch { return 1 }
    if options.help { print(Options.usage); return 0 }
    guard let (host, argv) = startHost(options, arguments) else { return 1 }
    if let args = options.installKernel { return installKernel(host, args) }
    return runActions(host, options, argv)
}

/// `gcgap --install-kernel ...`: gcgap.jupyter.install with this executable's absolute path.
func installKernel(_ host: Host, _ args: [String]) -> Int32 {
    let exe = Bundle.main.executablePath ?? CommandLine.arguments[0]
    let list = args.map(luaQuote).joined(separator: ", ")
    let code = "require('gcgap.jupyter').install({exe = \(luaQuote(exe)), args = {\(list)}})"
    return host.dostring(code, name: "=--install-kernel") == LUA_OK ? 0 : 1
}

/// A Lua string literal of any text (quotes, backslashes and control bytes escaped).
func luaQuote(_ s: String) -> String {
    var out = "\""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(b))
        case 0..<32, 127...255: out += "\\" + String(format: "%03d", b)   // bytes, not scalars
        default: out.unicodeScalars.append(UnicodeScalar(b))
        }
    }
    return out + "\""
}

exit(run())
