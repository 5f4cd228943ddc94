import CLua
import CLuaShim
import GCCore

/// `gcgap.task`: the algorithmic tasks, built in or defined in Lua.
enum TaskBinding {
    static func taskName(_ c: LuaCall) throws -> Int32 {
        c.state.push(try c.object(1, GCTypes.task).value.name)
        return 1
    }

    static func sampleBatch(_ c: LuaCall) throws -> Int32 {
        let task = try c.object(1, GCTypes.task).value
        let o = try c.options(2)
        let size = try o.integer("size", in: 1...1_000_000) ?? 64
        let lengths = try o.lengths("length") ?? 3...7
        let seed = try o.integer("seed") ?? 0
        let stream = try o.string("stream") ?? "batch"
        try o.finish()
        try o.checkSamples(size, length: lengths.upperBound, "size")
        let b = try c.arg(1) {
            try task.batch(size: size, lengths: lengths, seed: UInt64(bitPattern: Int64(seed)), stream: stream)
        }
        c.state.pushObject(BatchBox(b), GCTypes.batch)
        return 1
    }

    static func sample(_ c: LuaCall) throws -> Int32 {
        let task = try c.object(1, GCTypes.task).value
        let x = try c.tokenRows(2)
        var rows: [[Int32]] = []
        for r in x { rows.append(try c.arg(1) { try task.row(for: r) }) }
        c.state.pushObject(BatchBox(try c.arg(2) { try TokenBatch(rows: rows, special: task.special) }), GCTypes.batch)
        return 1
    }

    static func describeTask(_ c: LuaCall) throws -> Int32 {
        c.state.push("task(\(try c.object(1, GCTypes.task).value.name))")
        return 1
    }

    /// `gcgap.task.<name>()` for every task of the library (AlgorithmicTask.library).
    static func libraryTask(_ make: @escaping () -> AlgorithmicTask) -> LuaFunction {
        { c in
            c.state.pushObject(TaskBox(make()), GCTypes.task)
            return 1
        }
    }

    /// `gcgap.task.names()`: the library's task names, in order.
    static func names(_ c: LuaCall) throws -> Int32 {
        c.state.pushStringList(AlgorithmicTask.library.map(\.name))
        return 1
    }

    static func newTask(_ c: LuaCall) throws -> Int32 {
        let o = try c.options(1)
        guard c.type(1) == LUA_TTABLE else { throw c.typeError(1, "table") }
        let name = try o.string("name") ?? "custom"
        guard o.push("target") == LUA_TFUNCTION else {
            let got = c.state.typeName(at: -1); c.state.pop()
            throw c.argError(1, "option 'target': function expected, got \(got)")
        }
        let target = c.state.reference(at: -1); c.state.pop()
        var sampleRef: LuaRef? = nil
        let st = o.push("sample")
        if st == LUA_TFUNCTION { sampleRef = c.state.reference(at: -1) }
        c.state.pop()
        if st != LUA_TNIL && st != LUA_TFUNCTION { throw c.argError(1, "option 'sample': function expected") }
        let values = try o.range("values") ?? 1...99
        let sp = try specialOption(c, o)
        try o.finish()
        guard values.lowerBound >= 0, values.upperBound < 1 << 30 else {
            throw c.argError(1, "option 'values': token values must be in 0..\((1 << 30) - 1)")
        }
        for tok in [sp.pad, sp.start, sp.sep, sp.end] where values.contains(Int(tok)) {
            throw c.argError(1, "option 'values': {\(values.lowerBound), \(values.upperBound)} includes the special token \(tok) (PAD \(sp.pad), START \(sp.start), SEP \(sp.sep), END \(sp.end))")
        }
        let label = "task '\(name)'"
        let targetFn: ([Int32]) throws -> [Int32] = { [weak state = c.state] x in
            guard let state = state else { throw GCError("the Lua state is closed") }
            try state.protectedCall(target, results: 1) {
                state.newTable(array: x.count)
                for (i, v) in x.enumerated() { state.push(Int(v)); state.setIndex(-2, i + 1) }
                return 1
            }
            defer { state.pop() }
            return try TaskBinding.values(state, "\(label): target")
        }
        var sampler: ((Int, inout Rng) throws -> [Int32])? = nil
        if let sref = sampleRef {
            sampler = { [weak state = c.state] n, rng in
                guard let state = state else { throw GCError("the Lua state is closed") }
                // sample(n, seed): the function gets a fresh integer seed from the task's stream.
                let seed = Int(truncatingIfNeeded: rng.next() >> 1)
                try state.protectedCall(sref, results: 1) { state.push(n); state.push(seed); return 2 }
                defer { state.pop() }
                return try TaskBinding.values(state, "\(label): sample")
            }
        }
        let task = AlgorithmicTask(name: name, values: Int32(values.lowerBound)...Int32(values.upperBound), special: sp,
                                   sampler: sampler, target: targetFn)
        c.state.pushObject(TaskBox(task, refs: [target] + (sampleRef.map { [$0] } ?? [])), GCTypes.task)
        return 1
    }

    /// The `special` option of task.new: {pad =, start =, sep =, ["end"] =} (any missing one
    /// keeps the protocol's 100..103), four distinct tokens in 0..2^30-1.
    static func specialOption(_ c: LuaCall, _ o: LuaOptions) throws -> SpecialTokens {
        var sp = SpecialTokens.protocolDefault
        defer { c.state.pop() }
        let t = o.push("special")
        if t == LUA_TNIL { return sp }
        guard t == LUA_TTABLE else { throw c.argError(1, "option 'special': table {pad =, start =, sep =, end =} expected, got \(c.state.typeName(at: -1))") }
        let at = lua_gettop(c.L)
        for key in ["pad", "start", "sep", "end"] {
            defer { c.state.pop() }
            let kt = c.state.rawField(at, key)   // raw: a metamethod could raise across this frame
            if kt == LUA_TNIL { continue }
            var ok: Int32 = 0
            let v = lua_tointegerx(c.L, -1, &ok)
            guard ok != 0, v >= 0, v < 1 << 30 else { throw c.argError(1, "option 'special': '\(key)' must be an integer token in 0..\((1 << 30) - 1)") }
            switch key {
            case "pad": sp.pad = Int32(v)
            case "start": sp.start = Int32(v)
            case "sep": sp.sep = Int32(v)
            default: sp.end = Int32(v)
            }
        }
        guard Set([sp.pad, sp.start, sp.sep, sp.end]).count == 4 else {
            throw c.argError(1, "option 'special': PAD, START, SEP and END must be four different tokens, got \(sp.pad), \(sp.start), \(sp.sep), \(sp.end)")
        }
        return sp
    }

    /// task:special() -> {pad =, start =, sep =, ["end"] =}
    static func special(_ c: LuaCall) throws -> Int32 {
        let sp = try c.object(1, GCTypes.task).value.special
        c.state.newTable(hash: 4)
        for (k, v) in [("pad", sp.pad), ("start", sp.start), ("sep", sp.sep), ("end", sp.end)] { c.state.push(Int(v)); c.state.setField(-2, k) }
        return 1
    }

    static func register(_ lua: LuaState) {
        let methods: [(String, LuaFunction)] = [
            ("name", taskName),
            ("special", special),
            ("batch", sampleBatch),
            ("sample", sample),
        ]
        lua.registerType(GCTypes.task, methods: methods, metamethods: [
            ("__tostring", describeTask),
        ])
    }

    /// Converts the Lua list on top of the stack to values (integers 0..).
    static func values(_ s: LuaState, _ what: String) throws -> [Int32] {
        guard lua_type(s.L, -1) == LUA_TTABLE else { throw GCError("\(what) must return a table of integers, got \(s.typeName(at: -1))") }
        let n = Int(lua_rawlen(s.L, -1))
        var out: [Int32] = []
        for k in 1...max(n, 1) where k <= n {
            lua_rawgeti(s.L, -1, lua_Integer(k))
            var ok: Int32 = 0
            let v = lua_tointegerx(s.L, -1, &ok)
            s.pop()
            guard ok != 0, v >= 0, v < 1 << 30 else { throw GCError("\(what) returned a non-integer (or one outside 0..2^30) at index \(k)") }
            out.append(Int32(v))
        }
        return out
    }

    static func functions(_ lua: LuaState) -> [(String, LuaFunction)] {
        AlgorithmicTask.library.map { ($0.name, libraryTask($0.make)) } + [
            ("names", names),
            ("new", newTask),
        ]
    }
}
