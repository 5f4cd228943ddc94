import CLua
import CLuaShim
import GCCore

/// Boxes that give value types an identity as userdata.
/// A tensor held by Lua (its bytes counted in `NativeMemory`), or a view of one: a window
/// (`narrow`, `select`, `sub`) on the storage of a base box, which it keeps alive, so a view
/// stays valid after its base is collected. Reading a view gathers its window; writing it
/// writes through to the base.
public final class TensorBox {
    private var storage: Tensor
    /// For a view: the box that owns the storage (never itself a view) and the window on it.
    public let base: TensorBox?
    public let window: StridedView?
    /// Counts the writes into this box's storage (a hook sees whether its `out` was edited).
    public private(set) var version = 0

    public init(_ t: Tensor) { storage = t; base = nil; window = nil; NativeMemory.add(t.count * MemoryLayout<Float>.stride) }

    /// A view of `window` on `of`'s storage (on its base's when `of` is itself a view).
    public init(view window: StridedView, of box: TensorBox) {
        storage = Tensor(scalar: 0); base = box.base ?? box; self.window = window
    }

    /// The window of this box on its base's storage (the whole storage for a base).
    public var region: StridedView { window ?? StridedView(whole: storage.shape) }

    public var value: Tensor {
        if let base, let window { return base.storage.viewed(window) }
        return storage
    }

    /// Writes `t` (of this tensor's shape) into this tensor, through to its base for a view.
    public func write(_ t: Tensor) throws {
        let root = base ?? self
        try root.storage.write(t, into: region)
        root.version += 1
    }

    deinit { if base == nil { NativeMemory.add(-storage.count * MemoryLayout<Float>.stride) } }
}
public final class BatchBox { public let value: TokenBatch; public init(_ b: TokenBatch) { value = b } }
public final class TaskBox {
    public let value: AlgorithmicTask
    /// Lua functions the task calls (kept alive with it).
    let refs: [LuaRef]
    public init(_ t: AlgorithmicTask, refs: [LuaRef] = []) { value = t; self.refs = refs }
}

public enum GCTypes {
    public static let tensor = UserdataType<TensorBox>("gcgap.tensor", display: "tensor")
    public static let batch = UserdataType<BatchBox>("gcgap.batch", display: "batch")
    public static let task = UserdataType<TaskBox>("gcgap.task", display: "task")
    public static let model = UserdataType<Transformer>("gcgap.model", display: "model")
    public static let hook = UserdataType<HookHandle>("gcgap.hook", display: "hook")
}

/// What `m:hook(...)` returns: removes the hook with `:remove()`.
public final class HookHandle {
    weak var model: Transformer?
    let id: Int
    let component: Component
    init(model: Transformer, id: Int, component: Component) { self.model = model; self.id = id; self.component = component }
}

extension LuaState {
    /// Calls the Lua value `fn` (pushed by `pushFunction`) with the arguments pushed by
    /// `pushArgs`, in protected mode; leaves `results` values on the stack. A Lua error
    /// becomes a thrown `LuaError` carrying its message as it is.
    public func protectedCall(_ fn: LuaRef, results: Int32, _ pushArgs: () throws -> Int32) throws {
        let base = top
        fn.push()
        let n: Int32
        do { n = try pushArgs() } catch { top = base; throw error }
        if gcshim_pcall(L, n, results, 0) != LUA_OK {
            let msg = errorMessage(at: -1)
            top = base
            throw LuaError(msg, addPosition: false)
        }
    }

    public func pushTensor(_ t: Tensor) { pushObject(TensorBox(t), GCTypes.tensor) }

    /// Pushes a table keyed by component name.
    public func pushComponentTable(_ values: [Component: Double]) {
        newTable(hash: values.count)
        for (c, v) in values.sorted(by: { $0.key < $1.key }) { push(v); setField(-2, c.description) }
    }

    /// Pushes a sequence of strings.
    public func pushStringList(_ list: [String]) {
        newTable(array: list.count)
        for (i, s) in list.enumerated() { push(s); setIndex(-2, i + 1) }
    }

    /// Pushes a sequence of integers.
    public func pushIntegerList(_ list: [Int]) {
        newTable(array: list.count)
        for (i, v) in list.enumerated() { push(v); setIndex(-2, i + 1) }
    }

    /// Pushes a sequence of numbers.
    public func pushNumberList(_ list: [Double]) {
        newTable(array: list.count)
        for (i, v) in list.enumerated() { push(v); setIndex(-2, i + 1) }
    }
}

extension LuaCall {
    /// A tensor argument; numbers become 0-d tensors when `allowNumber`.
    public func tensor(_ i: Int32, allowNumber: Bool = false) throws -> Tensor {
        if allowNumber, lua_type(L, i) == LUA_TNUMBER { return Tensor(scalar: Float(lua_tonumberx(L, i, nil))) }
        return try object(i, GCTypes.tensor).value
    }

    /// A number as a tensor element, the one policy of both `gcgap.tensor(x)` and
    /// `gcgap.tensor{...}`: NaN and infinities are kept as they are; a finite number beyond
    /// float32's range cannot be kept and is an error (not an infinity); any other number is
    /// rounded to float32. `path` names the element ("[2][1]"), nil for a lone number.
    public func element(_ v: Double, _ i: Int32, at path: String? = nil) throws -> Float {
        let f = Float(v)
        guard f.isFinite || !v.isFinite else {
            throw argError(i, "number \(v)\(path.map { " at " + $0 } ?? "") is beyond float32's range (±\(Float.greatestFiniteMagnitude))")
        }
        return f
    }

    /// The deepest nesting of tables a native function reads: a tensor's rank limit.
    public static let maxTableDepth = Limits.maxRank

    /// Nested tables of numbers -> a tensor (rectangular). The one reader of nested tables:
    /// depth-limited (a cyclic table `t[1] = t` is too deep, not an endless walk) and
    /// size-checked before anything grows past `Limits.maxElements`.
    public func tensorFromTable(_ i: Int32) throws -> Tensor {
        let idx = lua_absindex(L, i)
        var shape: [Int] = []
        var data: [Float] = []
        func walk(_ t: Int32, depth: Int, path: String) throws {
            guard depth < LuaCall.maxTableDepth else {
                throw argError(idx, "tables nested deeper than \(LuaCall.maxTableDepth) levels (a cycle?)")
            }
            guard gcshim_checkstack(L, 4) != 0 else { throw argError(idx, "tables nested too deep") }
            let n = Int(lua_rawlen(L, t))
            if depth == shape.count { _ = try arg(idx) { try Limits.product(shape + [n], what: "a table of \(shape + [n]) numbers") } }
            if depth == shape.count { shape.append(n) } else if shape[depth] != n {
                throw argError(idx, "ragged table: \(path.isEmpty ? "the table" : "element " + path) has \(n) items, expected \(shape[depth])")
            }
            guard n > 0 || depth == 0 else { return }
            for k in 1...max(n, 1) where k <= n {
                lua_rawgeti(L, t, lua_Integer(k))
                defer { state.pop() }
                let p = path.isEmpty ? "[\(k)]" : path + "[\(k)]"
                switch lua_type(L, -1) {
                case LUA_TNUMBER:
                    guard depth == shape.count - 1 else { throw argError(idx, "ragged table: number at \(p), table expected") }
                    data.append(try element(lua_tonumberx(L, -1, nil), idx, at: p))
                case LUA_TTABLE:
                    if shape.count == depth + 1 && k > 1 { throw argError(idx, "ragged table: table at \(p), number expected") }
                    try walk(lua_gettop(L), depth: depth + 1, path: p)
                default:
                    throw argError(idx, "number expected at \(p), got \(state.typeName(at: -1))")
                }
            }
        }
        try table(idx)
        try walk(idx, depth: 0, path: "")
        guard data.count == shape.reduce(1, *) else { throw argError(idx, "ragged table") }
        return try Tensor(shape: shape, data: data)
    }

    /// Token rows: a table of tables of integers.
    public func tokenRows(_ i: Int32) throws -> [[Int32]] {
        let idx = lua_absindex(L, i)
        try table(idx)
        let n = rawLength(idx)
        guard n > 0 else { throw argError(idx, "at least one token row expected") }
        var rows: [[Int32]] = []
        for r in 1...n {
            lua_rawgeti(L, idx, lua_Integer(r))
            defer { state.pop() }
            guard lua_type(L, -1) == LUA_TTABLE else {
                throw argError(idx, "row \(r): table of tokens expected, got \(state.typeName(at: -1))")
            }
            let m = Int(lua_rawlen(L, -1))
            var row: [Int32] = []   // (not reserved: a sparse table's raw length can be far beyond what it holds)
            for k in 1...max(m, 1) where k <= m {
                lua_rawgeti(L, -1, lua_Integer(k))
                var ok: Int32 = 0
                let v = lua_tointegerx(L, -1, &ok)
                state.pop()
                guard ok != 0, v >= 0, v < 1 << 30 else { throw argError(idx, "row \(r), token \(k): non-negative integer expected") }
                row.append(Int32(v))
            }
            rows.append(row)
        }
        return rows
    }

    /// A batch: a batch userdata, or token rows.
    public func batch(_ i: Int32) throws -> TokenBatch {
        if let b = state.object(at: i, GCTypes.batch) { return b.value }
        guard lua_type(L, i) == LUA_TTABLE else { throw typeError(i, "batch or table of token rows") }
        return try arg(i) { try TokenBatch(rows: tokenRows(i)) }
    }

    /// A batch the model can read (rows within n_ctx, tokens within the vocabulary).
    public func batch(_ i: Int32, for model: Transformer) throws -> TokenBatch {
        let b = try batch(i)
        try arg(i) { try model.checkTokens(b) }
        return b
    }

    /// A component name ("L2.H3", "L1.MLP").
    public func component(_ i: Int32, for model: Transformer? = nil) throws -> Component {
        let s = try string(i)
        guard let c = Component(s) else {
            let near = model?.closestHookNames(to: s) ?? []
            let hint = near.isEmpty ? "" : "; did you mean " + near.map { "'\($0)'" }.joined(separator: " or ") + "?"
            throw argError(i, "unknown component '\(s)' (names look like 'L0.H3', 'L2.MLP', 'L1.resid_pre', 'L0.H1.pattern' or TransformerLens's 'blocks.1.hook_mlp_out', 'blocks.0.attn.hook_z[1]'\(hint))")
        }
        if let m = model { try arg(i) { try m.checkComponent(c) } }
        return c
    }
}
