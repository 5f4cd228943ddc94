import CLua
import CLuaShim
import Foundation
import GCCore

/// The native module `gcgap.core`. `require "gcgap"` (stdlib/gcgap/init.lua) loads it and
/// adds the Lua-level pipeline on top.
public enum GCGapModule {
    public static let version = "0.1.0"
    /// gcgap's stdlib folder, when known (the host sets it): the sandboxes `gcgap.sandbox`
    /// makes require from it, and `gcgap.build()` reads the commit of its checkout.
    nonisolated(unsafe) public static var stdlib: String? = nil {
        didSet { stdlibCommit = stdlib.flatMap { BuildInfo.commit(near: $0) } }
    }
    /// The commit of the stdlib's checkout when the stdlib was chosen (the code this process
    /// loaded, even if the checkout moves on while it runs).
    nonisolated(unsafe) public private(set) static var stdlibCommit: String? = nil

    /// Registers the userdata types and `package.preload["gcgap.core"]`.
    public static func install(_ lua: LuaState) {
        TensorBinding.register(lua)
        TaskBinding.register(lua)
        ModelBinding.register(lua)
        MeansBinding.register(lua)
        lua.pushPackageTable("preload")
        lua.pushFunction("require") { c in
            loadProtocol(c.state)
            GCGapModule.pushModule(c.state)
            return 1
        }
        lua.setField(-2, "gcgap.core")
        lua.pop()
    }

    /// Loads `gcgap.protocol` (stdlib/gcgap/protocol.lua, the protocol's numbers) when it can
    /// be found, in a protected call: the natives read their defaults from it
    /// (`ProtocolDefaults`). Where it cannot be found, an option left out is an error.
    static func loadProtocol(_ lua: LuaState) {
        try? lua.run("pcall(require, 'gcgap.protocol')", name: "=(gcgap.core)")
    }

    /// Pushes a fresh module table.
    static func pushModule(_ lua: LuaState) {
        lua.newTable(hash: 32)
        let m = lua.top
        for (name, fn) in TensorBinding.functions() + TensorViewBinding.functions + ModelBinding.functions() + MeansBinding.functions()
            + ScoringBinding.functions + StatsBinding.functions + misc() {
            lua.setFunction(m, name, fn)
        }
        lua.newTable(hash: 4)
        for (name, fn) in TaskBinding.functions(lua) { lua.setFunction(-1, name, fn) }
        lua.setField(m, "task")
        lua.newTable(hash: 4)
        for (name, fn) in ScoringBinding.scoreFunctions + EstimatorBinding.functions { lua.setFunction(-1, name, fn) }
        lua.setField(m, "score")
        lua.newTable(hash: 6)
        for (name, fn) in StatsBinding.statsFunctions + ResamplingBinding.functions { lua.setFunction(-1, name, fn) }
        lua.push(ResamplingBinding.maxResamples); lua.setField(-2, "max_resamples")
        lua.setField(m, "stats")
        lua.push(version); lua.setField(m, "version")
        lua.pushStringList(Metric.allCases.map(\.rawValue)); lua.setField(m, "metrics")
        lua.pushStringList(AblationKind.allCases.map(\.rawValue)); lua.setField(m, "ablation_kinds")
        lua.pushStringList(Metric.ladderDefault.map(\.rawValue)); lua.setField(m, "ladder_metrics")
        lua.push(Int(SpecialTokens.protocolDefault.pad)); lua.setField(m, "PAD")
        lua.push(Int(SpecialTokens.protocolDefault.start)); lua.setField(m, "START")
        lua.push(Int(SpecialTokens.protocolDefault.sep)); lua.setField(m, "SEP")
        lua.push(Int(SpecialTokens.protocolDefault.end)); lua.setField(m, "END")
    }

    /// The status line of `gcgap.status` (one per process: it owns the terminal's last line).
    static let status = StatusLine()

    static func setThreads(_ c: LuaCall) throws -> Int32 {
        if let n = try c.optionalInteger(1) {
            guard n >= 1 && n <= 256 else { throw c.argError(1, "thread count must be in 1..256, got \(n)") }
            Parallelism.threads = n
        }
        c.state.push(Parallelism.threads); return 1
    }

    static func showStatus(_ c: LuaCall) throws -> Int32 {
        if c.isNoneOrNil(1) { status.finish() } else { status.update(try c.string(1), force: c.boolean(2)) }
        return 0
    }

    static func clock(_ c: LuaCall) throws -> Int32 {
        c.state.push(Date().timeIntervalSince1970)
        return 1
    }

    static func interrupted(_ c: LuaCall) throws -> Int32 {
        let p = gcshim_interrupt_pending() != 0
        if p { gcshim_interrupt_clear() }
        c.state.push(p); return 1
    }

    static func blasInfo(_ c: LuaCall) throws -> Int32 {
        c.state.newTable(hash: 4)
        c.state.push(BLAS.coreName); c.state.setField(-2, "core")
        c.state.push(BLAS.kernelName); c.state.setField(-2, "kernel")
        c.state.push(BLAS.threads); c.state.setField(-2, "threads")
        c.state.push(BLAS.configuration); c.state.setField(-2, "config")
        return 1
    }

    /// gcgap.build() -> {version =, commit =, kernel =, lua =}: which gcgap this is.
    static func build(_ c: LuaCall) throws -> Int32 {
        c.state.newTable(hash: 4)
        c.state.push(version); c.state.setField(-2, "version")
        if let commit = GCGapModule.stdlibCommit {
            c.state.push(String(commit.prefix(12))); c.state.setField(-2, "commit")
        }
        c.state.push(BLAS.kernelName); c.state.setField(-2, "kernel")
        c.state.push(String(cString: gcshim_version())); c.state.setField(-2, "lua")
        return 1
    }

    /// gcgap.read_file(path) -> the file's bytes as a string.
    static func readFile(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .read)
        let bytes = try c.arg(1) { try FileIO.read(path) }
        bytes.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { lua_pushlstring(c.L, $0.baseAddress, $0.count) } }
        return 1
    }

    static func writeFile(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .write)
        let text = try c.bytes(2)
        try c.arg(1) { try FileIO.writeAtomically(text, to: path) }
        return 0
    }

    static func listFolder(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .list)
        let names = try c.arg(1) { try FileIO.list(path) }
        c.state.newTable(array: names.count)
        for (i, n) in names.enumerated() {
            n.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { lua_pushlstring(c.L, $0.baseAddress, $0.count) }
            }
            c.state.setIndex(-2, i + 1)
        }
        return 1
    }

    static func makeFolder(_ c: LuaCall) throws -> Int32 {
        let path = try c.path(1, .write)
        try c.arg(1) { try FileIO.makeFolders(path) }
        return 0
    }

    static func componentNames(_ c: LuaCall) throws -> Int32 {
        let o = try c.options(1)
        var cfg = ModelConfig()
        cfg.nLayers = try o.integer("n_layers", in: 1...64) ?? cfg.nLayers
        cfg.nHeads = try o.integer("n_heads", in: 1...256) ?? cfg.nHeads
        try o.finish()
        c.state.pushStringList(cfg.components.map(\.description)); return 1
    }

    static func misc() -> [(String, LuaFunction)] {
        [
            ("threads", setThreads),
            ("status", showStatus),
            ("clock", clock),
            ("interrupted", interrupted),
            ("blas", blasInfo),
            ("write_file", writeFile),
            ("read_file", readFile),
            ("build", build),
            ("sandbox", Sandbox.run),
            ("dir", listFolder),
            ("mkdir", makeFolder),
            ("components", componentNames),
        ]
    }
}
