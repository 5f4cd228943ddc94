/// Checkpoints: safetensors files with TransformerLens `HookedTransformer` state-dict names
/// and the configuration in `__metadata__` under `HookedTransformerConfig` field names.
extension Transformer {
    /// The configuration as safetensors metadata (all strings).
    public var checkpointMetadata: [String: String] {
        let c = config
        return ["n_layers": "\(c.nLayers)", "d_model": "\(c.dModel)", "n_heads": "\(c.nHeads)",
                "d_head": "\(c.dHead)", "d_mlp": "\(c.dMLP)", "d_vocab": "\(c.dVocab)", "n_ctx": "\(c.nCtx)",
                "act_fn": c.activation.rawValue, "normalization_type": "LN", "positional_embedding_type": "standard",
                "positions": c.positions.rawValue, "eps": "\(c.lnEps)", "format": "gcgap/1"]
    }

    /// Writes the model atomically (`FileIO.writeAtomically`). With positions "none",
    /// W_pos is written as zeros.
    public func save(path: FilePath, extraMetadata: [String: String] = [:]) throws {
        var tensors: [(String, Tensor)] = []
        for name in tensorNames {
            var t = try tensor(named: name)
            if name == "pos_embed.W_pos" && config.positions == .none { t = Tensor(unchecked: t.shape, [Float](repeating: 0, count: t.count)) }
            tensors.append((name, t))
        }
        var meta = checkpointMetadata
        for (k, v) in extraMetadata { meta[k] = v }
        if let s = seed { meta["seed"] = "\(s)" }
        try SafeTensors.write(path: path, tensors, metadata: meta)
    }

    public func save(path: String) throws { try save(path: FilePath(path)) }

    /// What a caller states about a checkpoint that its file may not say: a TransformerLens
    /// `state_dict()` saved without metadata does not record its activation, LayerNorm eps
    /// or positional embedding. Each one stated must agree with the file's metadata when
    /// the file has it.
    public struct LoadOptions {
        public var activation: ModelConfig.Activation?
        public var eps: Float?
        public var positions: ModelConfig.Positions?
        public init(activation: ModelConfig.Activation? = nil, eps: Float? = nil, positions: ModelConfig.Positions? = nil) {
            self.activation = activation; self.eps = eps; self.positions = positions
        }
    }

    /// The largest parameter magnitude a checkpoint may hold: beyond it float32 arithmetic
    /// overflows in a forward pass, so such a file is corrupt, not a model.
    public static let maxParameterMagnitude: Float = 1e10

    /// Reads a checkpoint written by gcgap or by TransformerLens (`state_dict()` saved with
    /// `safetensors.torch.save_file`; its `attn.mask` and `attn.IGNORE` buffers are ignored).
    /// The tensors must be exactly those of the configuration. Returns the model and the
    /// values that were assumed because neither the file nor `options` gave them (for the
    /// caller to report).
    public static func load(path: FilePath, options: LoadOptions = LoadOptions()) throws -> (Transformer, assumed: [String]) {
        let file = try SafeTensors.read(path: path)
        return try load(file, name: path.description, options: options)
    }

    public static func load(path: String) throws -> Transformer { try load(path: FilePath(path)).0 }

    public static func load(_ file: SafeTensors.File, name: String, options: LoadOptions = LoadOptions()) throws -> (Transformer, assumed: [String]) {
        var reader = CheckpointReader(file: file, name: name, options: options)
        try reader.refuseUnsupported()
        var c = try reader.sizes()
        try reader.activation(&c)
        try reader.eps(&c)
        try reader.positions(&c)
        let m: Transformer
        do { m = try Transformer(config: c) } catch let e as GCError { throw reader.fail(e.message) }
        try reader.fill(m)
        if let s = file.metadata["seed"], let v = UInt64(s) { m.seed = v }
        return (m, reader.assumed)
    }
}

/// Reads a checkpoint's configuration and tensors strictly, one concern per method; every
/// complaint names the file.
struct CheckpointReader {
    let file: SafeTensors.File
    let name: String
    let options: Transformer.LoadOptions
    /// Values assumed because neither the file nor the options gave them.
    var assumed: [String] = []

    var t: [String: Tensor] { file.tensors }
    var meta: [String: String] { file.metadata }

    func fail(_ why: String) -> GCError { GCError("\(name): \(why)") }

    func need(_ k: String) throws -> Tensor {
        guard let v = t[k] else { throw fail("missing tensor '\(k)'") }
        return v
    }

    func metaInt(_ k: String) throws -> Int? {
        guard let s = meta[k] else { return nil }
        guard let v = Int(s) else { throw fail("metadata '\(k)' = '\(s)' is not an integer") }
        return v
    }

    /// What gcgap cannot represent, refused by name.
    func refuseUnsupported() throws {
        if t.keys.contains(where: { $0.hasSuffix("attn.rotary_sin") || $0.hasSuffix("attn.rotary_cos") }) {
            throw fail("rotary positional embeddings are not supported (gcgap's models add W_pos or nothing)")
        }
        if t["blocks.0.attn.W_Q"] != nil && t["blocks.0.ln1.w"] == nil {
            throw fail("no LayerNorm weights: a model with folded LayerNorm (normalization_type LNPre or None) is not supported; save it from TransformerLens with fold_ln=False")
        }
        if let n = meta["normalization_type"], n != "LN" { throw fail("unsupported normalization_type '\(n)' (LN only)") }
        if let p = meta["positional_embedding_type"], p != "standard" {
            throw fail("unsupported positional_embedding_type '\(p)' (standard only)")
        }
    }

    /// The sizes, from the metadata where it has them, else from the tensors; both must agree
    /// before anything is allocated from them.
    func sizes() throws -> ModelConfig {
        var c = ModelConfig()
        let wE = try need("embed.W_E"), wQ = try need("blocks.0.attn.W_Q"), wIn = try need("blocks.0.mlp.W_in")
        guard wE.rank == 2, wQ.rank == 3, wIn.rank == 2 else { throw fail("embed.W_E, W_Q or W_in has the wrong rank") }
        // layers: one past the highest block index any tensor names
        var layers = 0
        for key in t.keys where key.hasPrefix("blocks.") {
            let digits = key.dropFirst(7).prefix { $0.isNumber }
            guard let l = Int(digits), l < 1 << 16 else { throw fail("unexpected tensor '\(key)'") }
            layers = max(layers, l + 1)
        }
        c.nLayers = try metaInt("n_layers") ?? layers
        c.dVocab = try metaInt("d_vocab") ?? wE.shape[0]
        c.dModel = try metaInt("d_model") ?? wE.shape[1]
        c.nHeads = try metaInt("n_heads") ?? wQ.shape[0]
        c.dHead = try metaInt("d_head") ?? wQ.shape[2]
        c.dMLP = try metaInt("d_mlp") ?? wIn.shape[1]
        c.nCtx = try metaInt("n_ctx") ?? (t["pos_embed.W_pos"]?.shape.first ?? 64)
        guard layers == c.nLayers else { throw fail("metadata says \(c.nLayers) layers, the tensors name \(layers)") }
        let agree = [("d_vocab", c.dVocab, wE.shape[0]), ("d_model", c.dModel, wE.shape[1]), ("n_heads", c.nHeads, wQ.shape[0]),
                     ("d_head", c.dHead, wQ.shape[2]), ("d_mlp", c.dMLP, wIn.shape[1])]
        for (field, m, tensor) in agree where m != tensor {
            throw fail("metadata says \(field) = \(m), the tensors say \(tensor)")
        }
        return c
    }

    /// The activation: the file's, the option's (which must agree), or GELU, assumed.
    mutating func activation(_ c: inout ModelConfig) throws {
        if let a = meta["act_fn"] {
            guard let act = ModelConfig.Activation(rawValue: a) else { throw fail("unsupported act_fn '\(a)' (gelu or relu)") }
            if let o = options.activation, o != act { throw fail("the file says act_fn = \(a), the option 'act' says \(o.rawValue)") }
            c.activation = act
        } else if let o = options.activation {
            c.activation = o
        } else {
            assumed.append("act = gelu (no act_fn in the file; pass {act = ...} to state it)")
        }
    }

    /// LayerNorm's eps: the file's, the option's (which must agree), or 1e-5, assumed.
    mutating func eps(_ c: inout ModelConfig) throws {
        if let e = meta["eps"] {
            guard let v = Float(e), v > 0, v.isFinite else { throw fail("metadata 'eps' = '\(e)' is not a positive number") }
            if let o = options.eps, o != v { throw fail("the file says eps = \(e), the option 'eps' says \(o)") }
            c.lnEps = v
        } else if let o = options.eps {
            c.lnEps = o
        } else {
            assumed.append("eps = 1e-05 (no eps in the file; pass {eps = ...} to state it)")
        }
    }

    /// Positions: W_pos is always in the file (TransformerLens always has it; gcgap writes
    /// zeros); stated by the file or the option, else learned unless W_pos is zero, assumed.
    mutating func positions(_ c: inout ModelConfig) throws {
        let wPos = try need("pos_embed.W_pos")
        guard wPos.rank == 2, wPos.shape.first == c.nCtx else {
            throw fail("pos_embed.W_pos has shape \(Tensor.format(wPos.shape)), expected [\(c.nCtx), \(c.dModel)]")
        }
        let posZero = wPos.data.allSatisfy { $0 == 0 }
        let stated: ModelConfig.Positions?
        if let p = meta["positions"] {
            guard let pos = ModelConfig.Positions(rawValue: p) else { throw fail("positions must be none or learned, got '\(p)'") }
            if let o = options.positions, o != pos { throw fail("the file says positions = \(p), the option 'positions' says \(o.rawValue)") }
            stated = pos
        } else {
            stated = options.positions
        }
        if let s = stated {
            if s == .none && !posZero {
                throw fail("positions = none, but pos_embed.W_pos is not zero (dropping it would change every logit)")
            }
            c.positions = s
        } else {
            c.positions = posZero ? .none : .learned
            assumed.append("positions = \(c.positions.rawValue) (pos_embed.W_pos is \(posZero ? "zero" : "not zero"); a shortformer model would be misread; pass {positions = ...} to state it)")
        }
    }

    /// The parameters: the file's tensors must be exactly the configuration's (plus
    /// TransformerLens buffers), of their shapes, floating point, finite and not huge.
    func fill(_ m: Transformer) throws {
        let c = m.config
        let expected = Set(m.tl.map(\.name))
        var buffers = Set<String>()
        for l in 0..<c.nLayers { buffers.insert("blocks.\(l).attn.mask"); buffers.insert("blocks.\(l).attn.IGNORE") }
        for key in file.names where !expected.contains(key) && !buffers.contains(key) {
            throw fail("unexpected tensor '\(key)' (not a parameter of this \(c.nLayers)-layer model)")
        }
        for entry in m.tl {
            let v = try need(entry.name)
            guard v.shape == entry.shape else {
                throw fail("tensor '\(entry.name)' has shape \(Tensor.format(v.shape)), expected \(Tensor.format(entry.shape))")
            }
            if let d = file.dtypes[entry.name], !SafeTensors.floatDTypes.contains(d) {
                throw fail("tensor '\(entry.name)' has dtype \(d); parameters are floating point (F32, F16, BF16, F64)")
            }
            guard v.data.allSatisfy({ $0.isFinite }) else { throw fail("tensor '\(entry.name)' holds NaN or inf") }
            guard v.data.allSatisfy({ abs($0) <= Transformer.maxParameterMagnitude }) else {
                throw fail("tensor '\(entry.name)' holds values beyond ±\(Transformer.maxParameterMagnitude); a corrupt file?")
            }
            entry.write(v.data, m.parameters.pointer, c, m.layout)
        }
    }
}
