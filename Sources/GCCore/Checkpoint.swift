import Foundation

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

    /// Writes the model (atomically). With positions "none", W_pos is written as zeros.
    public func save(path: String, extraMetadata: [String: String] = [:]) throws {
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

    /// Reads a checkpoint written by gcgap or by TransformerLens (`state_dict()` saved with
    /// `safetensors.torch.save_file`; extra buffers such as `blocks.0.attn.mask` ignored).
    /// Without metadata the configuration is inferred from tensor shapes, with GELU and
    /// LayerNorm eps 1e-5, and positions "learned" unless W_pos is all zeros.
    public static func load(path: String) throws -> Transformer {
        let file = try SafeTensors.read(path: path)
        return try load(file, name: path)
    }

    public static func load(_ file: SafeTensors.File, name: String) throws -> Transformer {
        let t = file.tensors, meta = file.metadata
        func need(_ k: String) throws -> Tensor {
            guard let v = t[k] else { throw GCError("\(name): missing tensor '\(k)'") }
            return v
        }
        func metaInt(_ k: String) throws -> Int? {
            guard let s = meta[k] else { return nil }
            guard let v = Int(s) else { throw GCError("\(name): metadata '\(k)' = '\(s)' is not an integer") }
            return v
        }
        var c = ModelConfig()
        let wE = try need("embed.W_E"), wQ = try need("blocks.0.attn.W_Q"), wIn = try need("blocks.0.mlp.W_in")
        guard wE.rank == 2, wQ.rank == 3, wIn.rank == 2 else { throw GCError("\(name): embed.W_E, W_Q or W_in has the wrong rank") }
        var layers = 0
        while t["blocks.\(layers).ln1.w"] != nil { layers += 1 }
        c.nLayers = try metaInt("n_layers") ?? layers
        c.dVocab = try metaInt("d_vocab") ?? wE.shape[0]
        c.dModel = try metaInt("d_model") ?? wE.shape[1]
        c.nHeads = try metaInt("n_heads") ?? wQ.shape[0]
        c.dHead = try metaInt("d_head") ?? wQ.shape[2]
        c.dMLP = try metaInt("d_mlp") ?? wIn.shape[1]
        c.nCtx = try metaInt("n_ctx") ?? (t["pos_embed.W_pos"]?.shape.first ?? 64)
        if let a = meta["act_fn"] {
            guard let act = ModelConfig.Activation(rawValue: a) else { throw GCError("\(name): unsupported act_fn '\(a)' (gelu or relu)") }
            c.activation = act
        }
        if let n = meta["normalization_type"], n != "LN" { throw GCError("\(name): unsupported normalization_type '\(n)' (LN only)") }
        if let p = meta["positional_embedding_type"], p != "standard" {
            throw GCError("\(name): unsupported positional_embedding_type '\(p)' (standard only)")
        }
        if let e = meta["eps"] {
            guard let v = Float(e) else { throw GCError("\(name): metadata 'eps' = '\(e)' is not a number") }
            c.lnEps = v
        }
        if let p = meta["positions"] {
            guard let pos = ModelConfig.Positions(rawValue: p) else { throw GCError("\(name): positions must be none or learned, got '\(p)'") }
            c.positions = pos
        } else if let wp = t["pos_embed.W_pos"] {
            c.positions = wp.data.allSatisfy { $0 == 0 } ? .none : .learned
        } else {
            c.positions = .none
        }
        guard layers == c.nLayers else { throw GCError("\(name): metadata says \(c.nLayers) layers, the file has \(layers)") }
        // the metadata must agree with the tensors before anything is allocated from it
        let agree = [("d_vocab", c.dVocab, wE.shape[0]), ("d_model", c.dModel, wE.shape[1]), ("n_heads", c.nHeads, wQ.shape[0]),
                     ("d_head", c.dHead, wQ.shape[2]), ("d_mlp", c.dMLP, wIn.shape[1])]
        for (field, meta, tensor) in agree where meta != tensor {
            throw GCError("\(name): metadata says \(field) = \(meta), the tensors say \(tensor)")
        }
        if let wp = t["pos_embed.W_pos"], wp.shape.first != c.nCtx {
            throw GCError("\(name): metadata says n_ctx = \(c.nCtx), pos_embed.W_pos has \(wp.shape.first ?? 0) rows")
        }
        let m: Transformer
        do { m = try Transformer(config: c) } catch let e as GCError { throw GCError("\(name): \(e.message)") }
        for entry in m.tl {
            guard let v = t[entry.name] else {
                if entry.name == "pos_embed.W_pos" && c.positions == .none { continue }
                throw GCError("\(name): missing tensor '\(entry.name)'")
            }
            guard v.shape == entry.shape else {
                throw GCError("\(name): tensor '\(entry.name)' has shape \(Tensor.format(v.shape)), expected \(Tensor.format(entry.shape))")
            }
            guard v.data.allSatisfy({ $0.isFinite }) else { throw GCError("\(name): tensor '\(entry.name)' holds NaN or inf") }
            entry.write(v.data, m.parameters.pointer, c, m.layout)
        }
        if let s = meta["seed"], let v = UInt64(s) { m.seed = v }
        return m
    }
}
