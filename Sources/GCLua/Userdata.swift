import CLua
import CLuaShim
import GCCore

/// A kind of userdata: a Swift class exposed to Lua under a metatable registered by name.
/// `displayName` is what error messages call it ("tensor expected, got nil").
public struct UserdataType<T: AnyObject> {
    public let metatableName: String
    public let displayName: String
    public init(_ metatableName: String, display: String) {
        self.metatableName = metatableName
        self.displayName = display
    }
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
            let displayName = type.displayName
            let methodsRef = reference(at: methodsTable)
            pushFunction("__index") { [unowned self] call in
                methodsRef.push()
                lua_pushvalue(call.L, 2)
                let t = lua_rawget(call.L, -2)
                if t != LUA_TNIL { return 1 }
                self.pop(2)
                guard let obj = self.object(at: 1, type) else { throw call.typeError(1, displayName) }
                return try index(call, obj)
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

    /// Pushes a new userdata holding `object` (retained until Lua collects it).
    public func pushObject<T: AnyObject>(_ object: T, _ type: UserdataType<T>) {
        let p = gcshim_newuserdata(L, MemoryLayout<UnsafeMutableRawPointer?>.size)!
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        p.pointee = Unmanaged.passRetained(object as AnyObject).toOpaque()
        _ = gcshim_getmetatable_named(L, type.metatableName)
        lua_setmetatable(L, -2)
    }

    /// The object in the userdata at `i` when it is of `type`, else nil.
    public func object<T: AnyObject>(at i: Int32, _ type: UserdataType<T>) -> T? {
        guard let raw = luaL_testudata(L, i, type.metatableName) else { return nil }
        guard let obj = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(obj).takeUnretainedValue() as? T
    }
}

