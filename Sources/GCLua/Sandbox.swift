import CLua
import CLuaShim
import Foundation
import GCCore

/// What a sandboxed script may touch and use (`gcgap --sandbox DIR`, `gcgap.sandbox`).
public struct SandboxConfig {
    /// The folder the script writes in (created when missing); its working folder.
    public var folder: String
    /// Files it may read besides those under `folder` (checkpoints, data).
    public var readable: [String] = []
    /// A folder whose Lua files `require` finds (the script's own), besides gcgap's stdlib.
    public var scriptFolder: String? = nil
    /// gcgap's stdlib folder (`require "gcgap.*"`).
    public var stdlib: String? = nil
    /// The Lua heap's cap and, separately, native memory's, in bytes (nil: none).
    public var memoryLimit: Int? = nil
    /// Wall-clock seconds (nil: none); checked between Lua instructions and in native loops.
    public var timeLimit: Double? = nil

    public init(folder: String) { self.folder = folder }
}

extension LuaState {
    /// Refuses binary chunks (they bypass Lua's checks and can crash the host): `load`,
    /// `loadfile`, `dofile` and `require` read text only. `gcgap -b` (or
    /// GCGAP_BINARY_CHUNKS=1) skips this.
    public func refuseBinaryChunks() throws { try run(LuaState.textOnlyLoading, name: "=(gcgap)") }

    /// Makes this state a sandbox: its files, its globals and its limits (see `SandboxConfig`).
    /// Irreversible, and meant for a fresh state.
    public func enterSandbox(_ config: SandboxConfig) throws {
        let folder = try FilePath(config.folder)
        try FileIO.makeFolders(folder)
        filePolicy = try FilePolicy(folder: folder, readable: try config.readable.map { try FilePath($0) })
        guard FileManager.default.changeCurrentDirectoryPath(config.folder) else {
            throw LuaError("cannot enter the sandbox folder '\(config.folder)'", addPosition: false)
        }
        try refuseBinaryChunks()
        lua_settop(L, 0)
        let paths = [config.stdlib.map { [$0 + "/?.lua", $0 + "/?/init.lua"] } ?? [],
                     config.scriptFolder.map { [$0 + "/?.lua", $0 + "/?/init.lua"] } ?? []].flatMap { $0 }
        push(paths.joined(separator: ";"))
        lua_setglobal(L, "GCGAP_SANDBOX_PATH")
        try run(LuaState.sandboxPrelude, name: "=(sandbox)")
        let g = gclimits_new()!
        limits = g
        gclimits_install_allocator(mainThread, g)
        gclimits_set(g, config.memoryLimit ?? 0, config.memoryLimit ?? 0, NativeMemory.live, config.timeLimit ?? 0)
        gcshim_set_watch(mainThread)
    }

    /// load, loadfile, dofile and require's Lua searcher, text only.
    static let textOnlyLoading = """
    local load0, loadfile0, select, error, type = load, loadfile, select, error, type
    local refused = "binary chunks are refused (they can crash the host; gcgap -b or GCGAP_BINARY_CHUNKS=1 allows them)"
    function load(chunk, name, mode, ...)
      if mode == "b" or (type(chunk) == "string" and chunk:byte(1) == 27) then return nil, refused end
      if select("#", ...) > 0 then return load0(chunk, name, "t", ...) end
      return load0(chunk, name, "t")
    end
    function loadfile(name, mode, ...)
      if mode == "b" then return nil, refused end
      if select("#", ...) > 0 then return loadfile0(name, "t", ...) end
      return loadfile0(name, "t")
    end
    function dofile(name)
      local f, err = loadfile0(name, "t")
      if not f then error(err, 2) end
      return f()
    end
    local searchpath = package.searchpath
    package.searchers[2] = function(name)
      local path, err = searchpath(name, package.path)
      if not path then return "\\n\\t" .. err end
      local f, msg = loadfile0(path, "t")
      if not f then error(("error loading module '%s' from file '%s':\\n\\t%s"):format(name, path, msg), 3) end
      return f, path
    end
    package.searchers[3], package.searchers[4] = nil, nil
    package.loadlib = nil
    """

    /// The sandbox's globals: gcgap and the safe libraries; text-only loading of what the
    /// file rules allow; `require` of gcgap's modules and the script's own files only.
    static let sandboxPrelude = """
    local fixed_path = GCGAP_SANDBOX_PATH
    GCGAP_SANDBOX_PATH = nil
    package.path = fixed_path
    gcgap = require "gcgap"
    help = gcgap.help
    local load0, loadfile0, error, select = load, loadfile, error, select
    local read_file, write0 = gcgap.read_file, io.write
    local searchpath, clock, time, date = package.searchpath, os.clock, os.time, os.date
    -- the script's require: gcgap's modules and its own, from the fixed folders only
    package.searchers = { package.searchers[1], function(name)
      local path, err = searchpath(name, fixed_path)
      if not path then return "\\n\\t" .. err end
      local f, msg = loadfile0(path, "t")
      if not f then error(("error loading module '%s' from file '%s':\\n\\t%s"):format(name, path, msg), 3) end
      return f, path
    end }
    package.searchpath, package.loadlib, package.cpath = nil, nil, ""
    function loadfile(name, mode, ...)
      if name == nil then return nil, "loadfile: a file name is needed in the sandbox" end
      local ok, text = pcall(read_file, name)
      if not ok then return nil, text end
      if select("#", ...) > 0 then return load(text, "@" .. name, mode, ...) end
      return load(text, "@" .. name, mode)
    end
    function dofile(name)
      local f, err = loadfile(name)
      if not f then error(err, 2) end
      return f()
    end
    os = { clock = clock, time = time, date = date }
    io = { write = function(...) write0(...) end }
    debug, string.dump = nil, nil
    for _, name in ipairs { "io", "os", "debug" } do package.loaded[name] = _G[name] end
    """
}

/// `gcgap.sandbox(code, {dir =, read =, limit_mem =, limit_time =})`: runs a chunk of Lua
/// text in a fresh sandboxed state and returns its results (nil, booleans, numbers,
/// strings and plain tables of those).
public enum Sandbox {
    /// Deepest table nesting a result may have.
    static let maxDepth = 32

    static func config(_ c: LuaCall) throws -> SandboxConfig {
        let o = try c.options(2)
        guard let dir = try o.string("dir") else { throw c.argError(2, "option 'dir' is required (the folder the chunk writes in)") }
        var cfg = SandboxConfig(folder: dir)
        cfg.readable = try c.stringListOption(o, "read") ?? []
        cfg.memoryLimit = try o.integer("limit_mem", in: 1 << 20...1 << 46)
        cfg.timeLimit = try o.number("limit_time")
        if let t = cfg.timeLimit, t <= 0 { throw c.argError(2, "option 'limit_time': positive number of seconds expected") }
        try o.finish()
        cfg.stdlib = GCGapModule.stdlib
        return cfg
    }

    static func run(_ c: LuaCall) throws -> Int32 {
        guard c.state.filePolicy == nil else { throw c.argError(1, "gcgap.sandbox cannot be used inside a sandbox") }
        let code = try c.string(1)
        let cfg = try config(c)
        let saved = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        let child = try LuaState()
        GCGapModule.install(child)
        do { try child.enterSandbox(cfg) } catch let e as LuaError { throw c.argError(2, e.message) }
        catch let e as GCError { throw c.argError(2, e.message) }
        let previous = gclimits_enter(child.limits)
        defer { gclimits_enter(previous) }
        let results = try child.evaluateValues(code, name: "=(sandbox)")
        for v in results { try v.push(c.state, depth: 0) }
        return Int32(results.count)
    }
}

/// A plain Lua value copied out of one state into another.
indirect enum PlainValue {
    case none, boolean(Bool), integer(lua_Integer), number(Double), string([UInt8])
    case table([(PlainValue, PlainValue)])

    func push(_ s: LuaState, depth: Int) throws {
        switch self {
        case .none: s.pushNil()
        case .boolean(let b): s.push(b)
        case .integer(let i): lua_pushinteger(s.L, i)
        case .number(let d): s.push(d)
        case .string(let b): b.withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { lua_pushlstring(s.L, $0.baseAddress, $0.count) } }
        case .table(let pairs):
            // each level holds a table, a key and a value: room is asked for, never assumed
            guard gcshim_checkstack(s.L, 4) != 0 else { throw LuaError("gcgap.sandbox: tables nested too deep to copy") }
            s.newTable(hash: pairs.count)
            for (k, v) in pairs { try k.push(s, depth: depth + 1); try v.push(s, depth: depth + 1); lua_rawset(s.L, -3) }
        }
    }
}

extension LuaState {
    /// Runs `code` (text) protected, with a traceback on error, and copies its results out.
    func evaluateValues(_ code: String, name: String) throws -> [PlainValue] {
        let base = top
        defer { top = base }
        lua_pushcclosure(L, gcshim_msghandler, 0)
        guard load(code, name: name) == LUA_OK else { throw LuaError(string(at: -1) ?? "syntax error", addPosition: false) }
        if gcshim_pcall(L, 0, LUA_MULTRET, base + 1) != LUA_OK {
            throw LuaError(errorMessage(at: -1), addPosition: false)
        }
        return try ((base + 2)...max(base + 2, top)).filter { $0 <= top }.map { i in
            do { return try plainValue(at: i, depth: 0) } catch let e as LuaError {
                throw LuaError("gcgap.sandbox: result #\(i - base - 1): \(e.message)")
            }
        }
    }

    /// The value at `i` as a plain value (functions, userdata, threads and cycles refused).
    func plainValue(at i: Int32, depth: Int) throws -> PlainValue {
        switch lua_type(L, i) {
        case LUA_TNIL: return .none
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            var ok: Int32 = 0
            let n = lua_tointegerx(L, i, &ok)
            return lua_isinteger(L, i) != 0 && ok != 0 ? .integer(n) : .number(lua_tonumberx(L, i, nil))
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, i, &len)!
            return .string(Array(UnsafeRawBufferPointer(start: p, count: len)))
        case LUA_TTABLE:
            guard depth < Sandbox.maxDepth else { throw LuaError("tables nested deeper than \(Sandbox.maxDepth) (or a cycle)") }
            return .table(try tablePairs(at: i, depth: depth))
        default:
            throw LuaError("a \(typeName(at: i)) cannot leave the sandbox (nil, booleans, numbers, strings and tables of them can)")
        }
    }

    private func tablePairs(at i: Int32, depth: Int) throws -> [(PlainValue, PlainValue)] {
        let t = lua_absindex(L, i)
        var out: [(PlainValue, PlainValue)] = []
        // each level holds a key and a value while the next is read: room is asked for
        guard gcshim_checkstack(L, 4) != 0 else { throw LuaError("tables nested too deep to copy") }
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            defer { pop() }
            out.append((try plainValue(at: -2, depth: depth + 1), try plainValue(at: -1, depth: depth + 1)))
        }
        return out
    }
}
