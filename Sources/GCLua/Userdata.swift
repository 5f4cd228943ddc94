import CLua
import CLuaShim
import GCCore

/// A kind of userdata: a Swift class exposed to Lua under a metatable registered by name.
/// `displayName` is what error messages call it ("tensor expected, got nil"). `id` is the
/// type tag written into each such userdata's own memory (see `gcshim_object`): a
/// userdata is known by that tag, never by its metatable.
public struct UserdataType<T: AnyObject> {
    public let metatableName: String
    public let displayName: String
    public let id: UInt32
    public init(_ metatableName: String, display: String) {
        self.metatableName = metatableName
        self.displayName = display
        self.id = UserdataType.tag(metatableName)
    }

    /// FNV-1a of the metatable name, never GCSHIM_NATIVE_TYPE (0): stable across runs, and
    /// `registerType` refuses two names with one tag.
    static func tag(_ name: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in name.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h == UInt32(GCSHIM_NATIVE_TYPE) ? 1 : h
    }
}

/// What `LuaState.lookup` found at a stack index.
public enum UserdataLookup<T> {
    case object(T)
    /// Of the type asked for, but finalized (its `__gc` was called by hand).
    case freed
    /// Not a live userdata of the type asked for.
    case other
}

extension LuaState {
    /// Creates (once) the metatable for a userdata type with `__name`, `__gc`, `__index`
    /// (the methods table, also kept as `__methods` for completion), and any metamethods.
    /// `index` (optional) handles keys that are not methods, e.g. `t[1]`.
    public func registerType<T: AnyObject>(_ type: UserdataType<T>,
                                           methods: [(String, LuaFunction)],
                                           metamethods: [(String, LuaFunction)] = [],
                                           index: ((LuaCall, T) throws -> Int32)? = nil) {
        let created = luaL_newmetatable(L, type.metatableName) != 0
        guard created else { pop(); return }
        if let other = typeNames[type.id], other.metatable != type.metatableName {
            preconditionFailure("userdata types \(other.metatable) and \(type.metatableName) have one tag")
        }
        typeNames[type.id] = (type.metatableName, type.displayName)
        let mt = lua_absindex(L, -1)
        gcshim_mark_metatable(L, mt) // only userdata of marked metatables are finalized
        push(type.displayName); setField(mt, "__name")
        gcshim_push_object_gc(L)
        setField(mt, "__gc")
        newTable(hash: methods.count)
        let methodsTable = lua_absindex(L, -1)
        for (name, fn) in methods { setFunction(methodsTable, name, isMethod: true, fn) }
        lua_pushvalue(L, methodsTable); setField(mt, "__methods")
        if let index = index {
            // __index(self, key): a method when there is one, else the custom handler.
            let methodsRef = reference(at: methodsTable)
            pushFunction("__index") { [unowned self] call in
                methodsRef.push()
                lua_pushvalue(call.L, 2)
                let t = lua_rawget(call.L, -2)
                if t != LUA_TNIL { return 1 }
                self.pop(2)
                return try index(call, try call.object(1, type))
            }
            setField(mt, "__index")
            retainedRefs.append(methodsRef)
        } else {
            lua_pushvalue(L, methodsTable); setField(mt, "__index")
        }
        pop() // methods table
        for (name, fn) in metamethods { setFunction(mt, name, fn) }
        pop() // metatable
    }

    /// Pushes a new tagged userdata holding `object` (retained until Lua collects it).
    public func pushObject<T: AnyObject>(_ object: T, _ type: UserdataType<T>) {
        gcshim_push_object(L, type.id, Unmanaged.passRetained(object as AnyObject).toOpaque())
        _ = gcshim_getmetatable_named(L, type.metatableName)
        lua_setmetatable(L, -2)
    }

    /// The object in the userdata at `i` when it is a live one of `type`, else nil. The tag
    /// in the userdata's own memory decides, before its payload is read.
    public func object<T: AnyObject>(at i: Int32, _ type: UserdataType<T>) -> T? {
        if case .object(let o) = lookup(at: i, type) { return o }
        return nil
    }

    /// As `object(at:_:)`, telling a finalized object of `type` from anything else.
    public func lookup<T: AnyObject>(at i: Int32, _ type: UserdataType<T>) -> UserdataLookup<T> {
        var raw: UnsafeMutableRawPointer?
        switch gcshim_object_at(L, i, type.id, &raw) {
        case Int32(GCSHIM_OBJECT_OK):
            guard let raw, let o = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as? T else { return .other }
            return .object(o)
        case Int32(GCSHIM_FREED): return .freed
        default: return .other
        }
    }

    /// What the userdata at `i` is, for messages: a gcgap object's type by its tag (whatever
    /// its metatable says; "freed tensor" once finalized), nil when it is not a userdata with a gcgap tag or metatable, and
    /// "userdata with a gcgap <name> metatable" for a foreign userdata wearing one.
    func userdataTypeName(at i: Int32) -> String? {
        var id: UInt32 = 0
        let found = gcshim_object_type(L, i, &id)
        if found != 0 {
            let name = id == UInt32(GCSHIM_NATIVE_TYPE) ? "native function box" : typeNames[id]?.display ?? "gcgap userdata"
            return found == 2 ? "freed \(name)" : name
        }
        guard lua_type(L, i) == LUA_TUSERDATA, gcshim_has_marked_metatable(L, i) != 0 else { return nil }
        return "foreign userdata with a gcgap metatable"
    }
}
