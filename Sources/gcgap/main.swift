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

func run() -> Int32 {
    let arguments = CommandLine.arguments
    let options: Options
    do { options = try Options(arguments) } catch let e as OptionError {
        FileHandle.standardError.write("gcgap: \(e.message)\n\(Options.usage)\n".data(using: .utf8)!)
        return 1
    } catch { return 1 }
    if options.help { print(Options.usage); return 0 }

    let env = ProcessInfo.processInfo.environment
    // products run on one thread (OpenBLAS's own threads would change the last bits on the
    // fallback path); the analysis's independent passes run on GCGAP_THREADS threads, by
    // default one per processor (the same bits for any count)
    BLAS.setThreads(1)
    let threads = options.noEnvironment ? 1 : Int(env["GCGAP_THREADS"] ?? "") ?? Parallelism.processors
    Parallelism.threads = min(max(threads, 1), 256)

    let binary = options.binaryChunks || (!options.noEnvironment && env["GCGAP_BINARY_CHUNKS"] == "1")
    let host: Host
    do { host = try Host(noEnvironment: options.noEnvironment, binaryChunks: binary && options.sandbox == nil) } catch {
        FileHandle.standardError.write("gcgap: cannot start: \(error)\n".data(using: .utf8)!)
        return 1
    }
    if options.version { print(versionLine()) }
    let script = options.scriptIndex ?? arguments.count
    var argv = arguments
    if let folder = options.sandbox {
        do {
            argv = try host.enterSandbox(argv, script: options.scriptIndex, folder: folder,
                                         memory: options.limitMemory, time: options.limitTime)
        } catch {
            FileHandle.standardError.write("gcgap: cannot enter the sandbox: \(error)\n".data(using: .utf8)!)
            return 1
        }
    } else if options.limitMemory != nil || options.limitTime != nil {
        FileHandle.standardError.write("gcgap: '--limit-mem' and '--limit-time' go with '--sandbox DIR'\n".data(using: .utf8)!)
        return 1
    }
    host.createArgTable(argv, script: script)
    host.loadGCGap()
    if let args = options.installKernel { return installKernel(host, args) }
    if host.handleInit() != LUA_OK { return 1 }
    for action in options.actions {
        switch action {
        case .execute(let code): if host.dostring(code, name: "=(command line)") != LUA_OK { return 1 }
        case .require(let mod): if host.dolibrary(mod) != LUA_OK { return 1 }
        case .warnings: lua_warning(host.L, "@on", 0)
        }
    }
    if options.scriptIndex != nil {
        if host.handleScript(argv, script) != LUA_OK { return 1 }
    }
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
