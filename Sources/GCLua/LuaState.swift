import CLua
import CLuaShim
import GCCore

/// The Lua C API's `lua_State *`, as Swift imports it.
public typealias LuaStatePointer = OpaquePointer

/// A Swift function callable from Lua. It reads its arguments through `LuaCall`, pushes
/// its results and returns how many; it reports failure by throwing, never by calling
/// `lua_error` (the trampoline raises the error once this frame has returned).
public typealias LuaFunction = (LuaCall) throws -> Int32

/// An error for Lua. `message` becomes the Lua error; with `addPosition` the trampoline
/// prefixes the caller's position (`file:line:`), as `luaL_error` does.
public struct LuaError: Error, CustomStringConvertible {
    public var message: String
    public var addPosition: Bool
    public init(_ message: String, addPosition: Bool = true) { self.message = message; self.addPosition = addPosition }
    public var description: String { message }
}

/// A Lua 5.4 state with gcgap's error boundary installed.
///
/// Every Swift function reaches Lua through `gcshim_push_swift_function`: a C closure whose
/// upvalue points at a `FunctionBox`. The one C-callable dispatcher below finds the box,
/// runs the Swift closure and converts a thrown error into a value on the stack plus a
/// negative return code; the C trampoline then calls `lua_error` with no Swift frame left
/// to skip. Inside Swift code only API functions that cannot raise (except on memory
/// exhaustion) are used: raw table access, `lua_pcall` for calling back into Lua.
public final class LuaState {
    /// The thread every stack operation of this class works on: the thread the innermost
    /// native call was made on (a coroutine's own thread inside a coroutine), else the main
    /// thread. The dispatcher sets it on entry to each native function and restores it on
    /// return, so it is the one way Swift code reaches the calling `lua_State`.
    public private(set) var L: LuaStatePointer
    /// The main thread, which owns the state.
    public let mainThread: LuaStatePointer
    /// Registry references kept for the state's lifetime (e.g. methods tables).
    var retainedRefs: [LuaRef] = []
    /// The registered userdata types by tag (`UserdataType.id`): metatable and display names.
    var typeNames: [UInt32: (metatable: String, display: String)] = [:]
    private let owns: Bool
    /// How many of this state's native-function boxes are alive (a test checks that Lua's
    /// collector frees them). Each box holds the counter, so it outlives the state if need be.
    final class BoxCount { var value = 0 }
    let functionBoxes = BoxCount()
    /// The sandbox's file rules (nil: none); every native file access checks them.
    public internal(set) var filePolicy: FilePolicy?
    /// The sandbox's limits (C: gclimits), freed after the state is closed.
    public internal(set) var limits: OpaquePointer?

    /// Opens a new state with the standard libraries. `noEnvironment` is lua.c's -E
    /// (LUA_PATH / LUA_CPATH and LUA_INIT are ignored).
    public init(noEnvironment: Bool = false) throws {
        guard let L = luaL_newstate() else { throw LuaError("cannot create a Lua state (out of memory)") }
        self.L = L
        mainThread = L
        owns = true
        LuaState.installDispatcher()
        if gcshim_openlibs(L, noEnvironment ? 1 : 0) != LUA_OK {
            let msg = string(at: -1) ?? "?"
            lua_close(mainThread)
            throw LuaError("cannot open the Lua libraries: \(msg)")
        }
    }

    deinit {
        if owns { lua_close(mainThread) }
        if let g = limits { gclimits_free(g) }
    }

    /// Runs `body` with `thread` as the current thread (see `L`).
    @inline(__always)
    func on<R>(_ thread: LuaStatePointer, _ body: () throws -> R) rethrows -> R {
        let saved = L
        L = thread
        defer { L = saved }
        return try body()
    }

    private static var dispatcherInstalled = false
    private static func installDispatcher() {
        if dispatcherInstalled { return }
        dispatcherInstalled = true
        gcshim_set_dispatcher { L, raw in
            guard let L = L, let raw = raw else { return Int32(GCSHIM_ERROR_VALUE) }
            let box = Unmanaged<FunctionBox>.fromOpaque(raw).takeUnretainedValue()
            return box.invoke(L)
        }
        gcshim_set_releaser { raw in
            if let raw = raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
    }

    // MARK: Functions

    /// Pushes a Swift function as a Lua function. `name` is used in error messages;
    /// `isMethod` numbers arguments as lauxlib does for `obj:name(...)` calls.
    public func pushFunction(_ name: String, isMethod: Bool = false, _ body: @escaping LuaFunction) {
        let box = FunctionBox(name: name, isMethod: isMethod, state: self, body: body)
        // the closure's userdata upvalue owns the box; its finalizer releases it
        gcshim_push_swift_function(L, Unmanaged.passRetained(box).toOpaque())
    }

    /// t[name] = function, for the table at `table`.
    public func setFunction(_ table: Int32, _ name: String, isMethod: Bool = false, _ body: @escaping LuaFunction) {
        let t = lua_absindex(L, table)
        pushFunction(name, isMethod: isMethod, body)
        setField(t, name)
    }

    // MARK: Stack helpers (none of these can raise a Lua error)

    public var top: Int32 {
        get { lua_gettop(L) }
        set { lua_settop(L, newValue) }
    }

    public func pop(_ n: Int32 = 1) { gcshim_pop(L, n) }

    public func type(at i: Int32) -> Int32 { lua_type(L, i) }

    /// The type name Lua's error messages use: the metatable's `__name` when it is a string.
    public func typeName(at i: Int32) -> String {
        if let u = userdataTypeName(at: i) { return u }
        if lua_getmetatable(L, i) != 0 {
            lua_pushstring(L, "__name")
            lua_rawget(L, -2)
            defer { pop(2) }
            if lua_type(L, -1) == LUA_TSTRING, let s = string(at: -1) { return s }
        }
        if lua_type(L, i) == LUA_TLIGHTUSERDATA { return "light userdata" }
        return String(cString: gcshim_typename_at(L, i))
    }

    /// The string at `i` when it is a string (numbers are not converted).
    public func string(at i: Int32) -> String? {
        guard lua_type(L, i) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(L, i, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    public func push(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }
    public func push(_ n: Double) { lua_pushnumber(L, n) }
    public func push(_ n: Int) { lua_pushinteger(L, lua_Integer(n)) }
    public func push(_ b: Bool) { lua_pushboolean(L, b ? 1 : 0) }
    public func pushNil() { lua_pushnil(L) }
    public func newTable(array: Int = 0, hash: Int = 0) { lua_createtable(L, Int32(array), Int32(hash)) }

    /// t[key] = value on top (raw), for the table at `table`. Pops the value.
    public func setField(_ table: Int32, _ key: String) {
        let t = lua_absindex(L, table)
        push(key)
        gcshim_insert(L, -2)
        lua_rawset(L, t)
    }

    /// t[i] = value on top (raw). Pops the value.
    public func setIndex(_ table: Int32, _ i: Int) { lua_rawseti(L, table < 0 ? lua_absindex(L, table) : table, lua_Integer(i)) }

    /// Pushes t[key] (raw) and returns its type.
    @discardableResult
    public func rawField(_ table: Int32, _ key: String) -> Int32 {
        let t = lua_absindex(L, table)
        push(key)
        return lua_rawget(L, t)
    }

    /// Pushes the global table.
    public func pushGlobals() { gcshim_pushglobaltable(L) }

    /// Sets a global (raw) from the value on top; pops it.
    public func setGlobal(_ name: String) {
        pushGlobals()
        gcshim_insert(L, -2)
        setField(-2, name)
        pop()
    }

    /// Pushes package.preload, package.loaded or package itself.
    public func pushPackageTable(_ field: String?) {
        pushGlobals()
        rawField(-1, "package")
        gcshim_remove(L, -2)
        if let f = field {
            rawField(-1, f)
            gcshim_remove(L, -2)
        }
    }

    /// Converts the value at `i` to a string as `tostring` does (metamethods run protected).
    public func describe(at i: Int32) -> String {
        let idx = lua_absindex(L, i)
        if gcshim_tolstring(L, idx) == LUA_OK {
            defer { pop() }
            return string(at: -1) ?? "?"
        }
        defer { pop() }
        return "(error in __tostring: \(string(at: -1) ?? "?"))"
    }

    // MARK: Running code

    /// Loads and runs a chunk of Lua source in protected mode; throws its error message
    /// (with a traceback) on failure.
    public func run(_ source: String, name: String = "=(gcgap)") throws {
        let base = top
        defer { top = base }
        lua_pushcclosure(L, gcshim_msghandler, 0)
        let status = load(source, name: name)
        if status != LUA_OK { throw LuaError(string(at: -1) ?? "syntax error", addPosition: false) }
        if gcshim_pcall(L, 0, 0, base + 1) != LUA_OK {
            throw LuaError(errorMessage(at: -1), addPosition: false)
        }
    }

    /// Loads a chunk (does not run it); returns the status, with the function or the error on top.
    public func load(_ source: String, name: String) -> Int32 {
        var src = source
        return src.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { gcshim_loadbuffer(L, $0.baseAddress, $0.count, name) }
        }
    }

    /// Runs a chunk and returns its results converted to strings (for tests and tools).
    public func evaluate(_ source: String, name: String = "=(gcgap)") throws -> [String] {
        let base = top
        defer { top = base }
        lua_pushcclosure(L, gcshim_msghandler, 0)
        let status = load(source, name: name)
        if status != LUA_OK { throw LuaError(string(at: -1) ?? "syntax error", addPosition: false) }
        if gcshim_pcall(L, 0, LUA_MULTRET, base + 1) != LUA_OK {
            throw LuaError(errorMessage(at: -1), addPosition: false)
        }
        return ((base + 2)...max(base + 2, top)).compactMap { $0 <= top ? describe(at: $0) : nil }
    }

    /// The message of an error value, as lua.c shows it.
    public func errorMessage(at i: Int32) -> String {
        if let s = string(at: i) { return s }
        if lua_type(L, i) == LUA_TNUMBER { return describe(at: i) }
        return "(error object is a \(typeName(at: i)) value)"
    }

    // MARK: References

    /// Keeps the value at `i` alive in the registry; the reference releases it when freed.
    public func reference(at i: Int32) -> LuaRef {
        lua_pushvalue(L, i)
        return LuaRef(state: self, ref: luaL_ref(L, gcshim_registryindex()))
    }
}

/// A Lua value held from Swift (a registry reference), released on deinit.
public final class LuaRef {
    weak var state: LuaState?
    let ref: Int32
    init(state: LuaState, ref: Int32) { self.state = state; self.ref = ref }
    /// Pushes the value.
    public func push() {
        guard let s = state else { return }
        lua_rawgeti(s.L, gcshim_registryindex(), lua_Integer(ref))
    }
    deinit { if let s = state { luaL_unref(s.L, gcshim_registryindex(), ref) } }
}

/// One Swift function as Lua sees it.
final class FunctionBox {
    let name: String
    let isMethod: Bool
    unowned let state: LuaState
    let body: LuaFunction

    /// The count of its state's live boxes (per state: tests run side by side).
    private let count: LuaState.BoxCount

    init(name: String, isMethod: Bool, state: LuaState, body: @escaping LuaFunction) {
        self.name = name; self.isMethod = isMethod; self.state = state; self.body = body
        count = state.functionBoxes
        count.value += 1
    }

    deinit { count.value -= 1 }

    /// Runs the body on the calling thread `L`; on error leaves the message on the stack
    /// and returns a negative code.
    func invoke(_ L: LuaStatePointer) -> Int32 {
        state.on(L) { run(L) }
    }

    private func run(_ L: LuaStatePointer) -> Int32 {
        // a sandbox's limit that has tripped stays tripped: no native call runs after it
        gclimits_native_live(NativeMemory.live)
        if gclimits_check() != 0, let m = gclimits_message() {
            state.push(String(cString: m))
            return Int32(GCSHIM_ERROR_VALUE)
        }
        do {
            let n = try body(LuaCall(L: L, name: name, isMethod: isMethod, state: state))
            return n
        } catch let e as LuaError {
            state.push(e.message)
            return e.addPosition ? Int32(GCSHIM_ERROR) : Int32(GCSHIM_ERROR_VALUE)
        } catch let e as GCError {
            if e == .interrupted {
                state.push(gclimits_message().map { String(cString: $0) } ?? e.message)
                return Int32(GCSHIM_ERROR_VALUE)
            }
            // a core error the binding did not pin on an argument: blame self (a method) or
            // the first argument, so every native error still reads as lauxlib's
            let call = LuaCall(L: L, name: name, isMethod: isMethod, state: state)
            state.push(call.argError(1, e.message).message)
            return Int32(GCSHIM_ERROR)
        } catch {
            state.push("\(error)")
            return Int32(GCSHIM_ERROR)
        }
    }
}
