import Foundation
/// A component's output inside a forward pass, for hooks: `values` holds `tokens` rows of
/// `dModel` floats, the sequences of the batch packed end to end (`offsets`, one more than
/// the number of sequences). A hook may read it, or overwrite it and return `true`.
public struct ComponentOutput {
    public let component: Component
    public let values: UnsafeMutablePointer<Float>
    public let tokens: Int
    /// The width of a row (d_model, d_head or d_mlp); 0 for an attention pattern.
    public let dModel: Int
    public let offsets: [Int]
    /// For an attention pattern: `values` holds one n×n matrix per sequence (query rows,
    /// key columns; n from `offsets`), end to end. Patterns can be read, not replaced.
    public var isPattern: Bool { dModel == 0 }
}

/// Sees (and may replace) a component's output. Returns true when it replaced it; the
/// backward pass then treats that output as a constant (no gradient flows into the
/// component), which is what an ablation means.
public typealias ComponentHook = (ComponentOutput) throws -> Bool

/// The transformer of PROTOCOL.md: decoder-only, pre-LayerNorm, TransformerLens naming.
///
/// Parameters live in one flat buffer (`parameters`), gradients in another of the same
/// layout (`gradients`). Forward passes keep what the backward pass needs in a reusable
/// workspace, so a training step allocates nothing once the buffers have grown.
public final class Transformer {
    public let config: ModelConfig
    let layout: ParamLayout
    let tl: [TLTensor]
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer
    public var parameterCount: Int { layout.count }
    /// The seed the model was initialised from, if any (informational).
    public var seed: UInt64?

    /// Hooks that stay on the model until removed (`addHook`), run on every forward.
    private var persistentHooks: [(id: Int, component: Component, hook: ComponentHook)] = []
    private var nextHookID = 1

    let ws: Workspace
    /// The latest clean runs of ablation scorers, most recent first (`cleanRun(for:logProbs:)`).
    var keptCleanRuns: [CleanRun] = []
    /// Copies of this model that other threads of an analysis work on (`helpers(_:)`).
    var helperModels: [Transformer] = []

    /// True while a forward pass runs. Hooks run inside it, so a hook (Lua code) that asks
    /// this model for another pass, or to change its parameters, gets an error instead of
    /// reallocating the workspace under the pass that is using it.
    public private(set) var inPass = false

    private func beginPass() throws {
        guard !inPass else {
            throw GCError("the model is in the middle of a pass (a hook cannot run a pass of its own model or change its parameters; use m:copy())")
        }
        inPass = true
    }

    /// A model with every parameter zero.
    public init(config: ModelConfig) throws {
        try config.validate()
        self.config = config
        layout = ParamLayout(config)
        tl = config.tlTensors(layout)
        parameters = FloatBuffer(count: layout.count)
        gradients = FloatBuffer(count: layout.count)
        ws = Workspace(config)
    }

    /// A model initialised as PROTOCOL.md says (PyTorch's defaults for the public code's
    /// modules): W_E ~ N(0,1); every linear weight and bias ~ U(-1/√fan_in, 1/√fan_in);
    /// LayerNorm weight 1, bias 0; W_pos ~ N(0,1) when positions are learned, else 0.
    /// Draws come from stream "init" of `seed`, tensor by tensor in state-dict order.
    public convenience init(config: ModelConfig, seed: UInt64) throws {
        try self.init(config: config)
        self.seed = seed
        var rng = Rng(seed: seed, stream: "init")
        for t in tl {
            var v = [Float](repeating: 0, count: t.count)
            switch t.initializer {
            case .normal: for i in 0..<v.count { v[i] = rng.normal() }
            case .positional:
                if config.positions == .learned { for i in 0..<v.count { v[i] = rng.normal() } }
            case .uniform(let fanIn):
                let bound = 1 / Float(fanIn).squareRoot()
                for i in 0..<v.count { v[i] = rng.uniform(-bound, bound) }
            case .ones: v = [Float](repeating: 1, count: t.count)
            case .zeros: break
            }
            t.write(v, parameters.pointer, config, layout)
        }
    }

    /// An independent copy (parameters only; hooks are not copied).
    public func copy() throws -> Transformer {
        let m = try Transformer(config: config)
        m.parameters.pointer.update(from: parameters.pointer, count: layout.count)
        m.seed = seed
        return m
    }

    // MARK: Named tensors (TransformerLens state-dict names)

    /// TransformerLens state-dict names, in order.
    public var tensorNames: [String] { tl.map(\.name) }

    public func tensorShape(named name: String) -> [Int]? { tl.first { $0.name == name }?.shape }

    private func entry(_ name: String) throws -> TLTensor {
        guard let t = tl.first(where: { $0.name == name }) else {
            throw GCError("no parameter named '\(name)' (names are TransformerLens's, e.g. 'blocks.0.attn.W_V')")
        }
        return t
    }

    /// A parameter as a tensor, in TransformerLens layout.
    public func tensor(named name: String) throws -> Tensor {
        let t = try entry(name)
        return Tensor(unchecked: t.shape, t.read(parameters.pointer, config, layout))
    }

    /// The gradient of the last backward pass for a parameter, in TransformerLens layout.
    public func gradient(named name: String) throws -> Tensor {
        let t = try entry(name)
        return Tensor(unchecked: t.shape, t.read(gradients.pointer, config, layout))
    }

    /// Overwrites a parameter. Shapes must match; NaN and infinities are refused.
    public func setTensor(named name: String, _ value: Tensor) throws {
        guard !inPass else { try beginPass(); return }
        let t = try entry(name)
        guard value.shape == t.shape else {
            throw GCError("'\(name)' has shape \(Tensor.format(t.shape)), got \(Tensor.format(value.shape))")
        }
        guard value.data.allSatisfy({ $0.isFinite }) else { throw GCError("'\(name)': values must be finite (found NaN or inf)") }
        t.write(value.data, parameters.pointer, config, layout)
    }

    // MARK: Hooks

    /// Adds a hook that runs on every forward pass until removed; returns its id.
    @discardableResult
    public func addHook(_ component: Component, _ hook: @escaping ComponentHook) throws -> Int {
        try checkComponent(component)
        let id = nextHookID
        nextHookID += 1
        persistentHooks.append((id, component, hook))
        return id
    }

    /// Removes a hook by id; returns false when there was none.
    @discardableResult
    public func removeHook(_ id: Int) -> Bool {
        let before = persistentHooks.count
        persistentHooks.removeAll { $0.id == id }
        return persistentHooks.count != before
    }

    public func removeAllHooks() { persistentHooks.removeAll() }
    public var hookCount: Int { persistentHooks.count }

    /// The width of a component's output row (d_model; d_head for z_h, q, k, v; d_mlp for
    /// the MLP's hidden layer; 0 for an attention pattern).
    public func width(of c: Component) -> Int {
        switch c {
        case .headZ: return config.dHead
        case .site(let s, _, _):
            switch s {
            case .q, .k, .v: return config.dHead
            case .pattern: return 0
            case .mlpPre, .mlpPost: return config.dMLP
            default: return config.dModel
            }
        default: return config.dModel
        }
    }

    public func checkComponent(_ c: Component) throws {
        switch c {
        case .head(let l, let h), .headZ(let l, let h):
            guard l < config.nLayers, h < config.nHeads else {
                throw GCError("unknown component '\(c)' (this model has \(config.nLayers) layers of \(config.nHeads) heads)")
            }
        case .mlp(let l), .attention(let l):
            guard l < config.nLayers else { throw GCError("unknown component '\(c)' (this model has \(config.nLayers) layers)") }
        case .site(let s, let l, let h):
            if s.global { return }
            guard l < config.nLayers, !s.perHead || h < config.nHeads else {
                throw GCError("unknown hook point '\(c)' (this model has \(config.nLayers) layers of \(config.nHeads) heads)")
            }
        }
    }

    // MARK: Forward plans

    /// What one forward pass computes: the packed token sequences, and the rows whose
    /// logits are wanted (with their targets, for a loss).
    struct Plan {
        var tokens: [Int32]
        var positions: [Int32]
        var seqs: SeqLayout
        var logitRows: [Int]
        var targets: [Int32]
        var sampleOfRow: [Int]
        /// The batch's logit contrast (`Metric.logitDiff`), one entry per logit row.
        var contrast: LogitContrast? = nil
    }

    /// Throws when a row is longer than n_ctx or holds a token outside the vocabulary.
    public func checkTokens(_ b: TokenBatch) throws {
        for (i, r) in b.rows.enumerated() {
            guard r.count - 1 <= config.nCtx else {
                throw GCError("row \(i + 1) reads \(r.count - 1) tokens, more than n_ctx = \(config.nCtx)")
            }
            for t in r where t < 0 || Int(t) >= config.dVocab {
                throw GCError("row \(i + 1) has token \(t), outside the vocabulary 0..\(config.dVocab - 1)")
            }
        }
        if let t = b.contrast?.tokenOutside(vocab: config.dVocab) {
            throw GCError("the logit difference's answer or wrong token \(t) is outside the vocabulary 0..\(config.dVocab - 1)")
        }
    }

    /// Inputs unpadded, logits at target positions only (loss, accuracy, gradients).
    func targetPlan(_ b: TokenBatch) throws -> Plan {
        try checkTokens(b)
        var tokens: [Int32] = [], positions: [Int32] = [], lengths: [Int] = []
        var rows: [Int] = [], targets: [Int32] = [], sample: [Int] = []
        for (s, r) in b.rows.enumerated() {
            let base = tokens.count
            let n = r.count - 1
            tokens.append(contentsOf: r[0..<n])
            positions.append(contentsOf: (0..<n).map(Int32.init))
            lengths.append(n)
            for p in b.targetPositions[s] { rows.append(base + p); targets.append(r[p + 1]); sample.append(s) }
        }
        return Plan(tokens: tokens, positions: positions, seqs: SeqLayout(lengths: lengths, heads: config.nHeads),
                    logitRows: rows, targets: targets, sampleOfRow: sample, contrast: b.contrast)
    }

    /// Inputs right-padded with PAD to the longest, logits everywhere (`logits`).
    func paddedPlan(_ b: TokenBatch) throws -> Plan {
        try checkTokens(b)
        let n = b.maxInputLength
        var tokens: [Int32] = [], positions: [Int32] = []
        for r in b.rows {
            let inp = Array(r.dropLast())
            tokens.append(contentsOf: inp + [Int32](repeating: b.special.pad, count: n - inp.count))
            positions.append(contentsOf: (0..<n).map(Int32.init))
        }
        let T = tokens.count
        return Plan(tokens: tokens, positions: positions,
                    seqs: SeqLayout(lengths: [Int](repeating: n, count: b.size), heads: config.nHeads),
                    logitRows: Array(0..<T), targets: [], sampleOfRow: (0..<T).map { $0 / max(n, 1) })
    }

    // MARK: Forward

    /// Runs the model on a plan; logits for `plan.logitRows` land in the workspace.
    /// `resume` restarts a pass in the middle of layer `layer`, from the activations the
    /// last pass over the same plan left in the workspace: at the heads' outputs (z kept),
    /// or, with `mlp`, at the MLP's output, which a hook must then replace. Layers below are
    /// not recomputed, so the result is the full pass's, bit for bit (C's fast route).
    ///
    /// `lastRows` allows the pass to compute the last layer after its attention (W_O, the
    /// MLP, the final LayerNorm) at the logit rows only, the rows nothing else reads. It is
    /// taken when no hook or gate looks at those outputs of the last layer and the pass does
    /// not resume at its MLP; the logits are the same bits either way (every row is computed
    /// by the same operations alone), and so are the gradients (`backward`).
    func forward(_ plan: Plan, hooks extra: [(Component, ComponentHook)] = [], gates: GateState? = nil,
                 resume: (layer: Int, mlp: Bool)? = nil, lastRows: Bool = false) throws {
        let T = plan.seqs.tokens, R = plan.logitRows.count, L = config.nLayers
        try beginPass()
        defer { inPass = false }
        try ws.check(T: T, R: R, patterns: plan.seqs.patternCount)
        ws.prepare(T: T, R: R, patterns: plan.seqs.patternCount)
        var hooks: [Component: [ComponentHook]] = [:]
        for h in persistentHooks { hooks[h.component, default: []].append(h.hook) }
        for (comp, h) in extra { try checkComponent(comp); hooks[comp, default: []].append(h) }
        ws.replaced.removeAll(keepingCapacity: true)
        ws.cut = lastRows && gates == nil && R < T && !(resume.map { $0.layer == L - 1 && $0.mlp } ?? false)
            && !hooks.keys.contains { Transformer.readsLastRows($0, layers: L) } && Transformer.increasing(plan.logitRows)
            ? plan.logitRows : nil
        let sites = HookSites(hooks: hooks, ws: ws, tokens: T, width: config.dModel, offsets: plan.seqs.offsets)
        if resume == nil { try embedStep(plan, sites) }
        for l in (resume?.layer ?? 0)..<L {
            let resuming = resume?.layer == l, atMLP = resuming && resume!.mlp
            if !resuming { try attentionStep(l, plan, sites) }
            if let rows = ws.cut, l == L - 1 {
                lastLayerRows(rows, l, resid: ws.resid[l].pointer, next: ws.resid[l + 1].pointer)
                continue
            }
            if !atMLP {
                try attentionOutputStep(l, plan, sites, gates: gates)
                try mlpStep(l, plan, sites, gates: gates)
            }
            try mlpOutputStep(l, sites, resumedAtMLP: atMLP)
        }
        try unembedStep(plan, sites)
    }

    /// The last layer after its attention at `rows` only (the logit rows, increasing):
    /// resid_mid, the MLP and resid_post of those rows, packed in that order in the layer's
    /// buffers and in ws.resid[L]. Row by row the same operations as the full layer.
    private func lastLayerRows(_ rows: [Int], _ l: Int, resid: CFPtr, next: FPtr) {
        let c = config, D = c.dModel, HD = c.nHeads * c.dHead, M = c.dMLP, R = rows.count
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer
        let zr = ws.zRows.pointer, mid = a.residMid.pointer, mlpOut = ws.mlpOut.pointer
        for (r, t) in rows.enumerated() {
            (zr + r * HD).update(from: a.z.pointer + t * HD, count: HD)
            for i in 0..<D { mid[r * D + i] = resid[t * D + i] + p[b.bo + i] }
        }
        BLAS.gemmNN(R, D, HD, zr, HD, p + b.wo, D, 1, mid, D)
        layernormForward(a.x2.pointer, a.ln2Mean.pointer, a.ln2Rstd.pointer, mid, p + b.ln2w, p + b.ln2b, R, D, c.lnEps)
        matmulForward(a.hpre.pointer, a.x2.pointer, p + b.win, p + b.bin, R, D, M)
        switch c.activation {
        case .gelu: geluForward(a.hact.pointer, a.hpre.pointer, R * M, cdf: a.cdf.pointer)
        case .relu: reluForward(a.hact.pointer, a.hpre.pointer, R * M)
        }
        matmulForward(mlpOut, a.hact.pointer, p + b.wout, p + b.bout, R, M, D)
        for i in 0..<(R * D) { next[i] = mid[i] + mlpOut[i] }
    }

    /// Whether a hook on `comp` sees an output of the last layer after its attention (or
    /// the final LayerNorm), which a pass at the logit rows only does not compute in full.
    static func readsLastRows(_ comp: Component, layers L: Int) -> Bool {
        switch comp {
        case .headZ: return false
        case .head(let l, _), .mlp(let l), .attention(let l): return l == L - 1
        case .site(let s, let l, _):
            switch s {
            case .embed, .residPre, .ln1, .q, .k, .v, .pattern: return false
            case .lnFinal: return true
            default: return l == L - 1
            }
        }
    }

    static func increasing(_ xs: [Int]) -> Bool {
        for i in xs.indices.dropFirst() where xs[i] <= xs[i - 1] { return false }
        return true
    }

    // MARK: Backward

    /// Backward pass from d(loss)/d(logits) in `ws.dlogits`; accumulates into `gradients`.
    /// `scope` says which weight gradients are computed: all of them (training), only the
    /// scored matrices W_V and W_out (G), or none (the gate estimators). `gates` records the
    /// gated components' directional derivatives and scales what flows into each by 1 − α.
    func backward(_ plan: Plan, scope: GradientScope = .all, gates: GateState? = nil) {
        let pass = BackwardPass(plan: plan, scope: scope, gates: gates)
        unembedBackward(pass)
        let L = config.nLayers
        var T = plan.seqs.tokens
        for l in stride(from: L - 1, through: 0, by: -1) {
            let rows = l == L - 1 ? ws.cut : nil
            T = rows?.count ?? plan.seqs.tokens
            mlpBackward(l, T, pass)
            // attention output (a replaced one is a constant: nothing flows into the heads)
            if ws.replaced.contains(.attention(layer: l)) { continue }
            let headScale = headScales(l, T, pass)
            // without weight gradients nothing below the first layer's heads is wanted
            if scope == .activations && l == 0 { return }
            T = attentionOutputBackward(l, T, rows, headScale, pass)
            if !headsBackward(l, T, pass) { return }
        }
        guard pass.weights else { return }
        let g = gradients.pointer
        plan.tokens.withUnsafeBufferPointer { tok in
            plan.positions.withUnsafeBufferPointer { pos in
                embedBackward(g + layout.wE, g + layout.wPos, ws.dresid.pointer, tok.baseAddress!,
                              config.positions == .learned ? pos.baseAddress! : nil, plan.seqs.tokens, config.dModel)
            }
        }
    }

    // MARK: Public passes

    /// Logits for every position of every row, the batch right-padded with PAD:
    /// a tensor [batch, longest input, d_vocab].
    public func logits(_ b: TokenBatch, hooks: [(Component, ComponentHook)] = []) throws -> Tensor {
        let plan = try paddedPlan(b)
        try forward(plan, hooks: hooks)
        let n = plan.logitRows.count * config.dVocab
        return Tensor(unchecked: [b.size, b.maxInputLength, config.dVocab], ws.logits.array(n))
    }

    /// What one evaluation of a batch gives.
    public struct Evaluation {
        /// Mean cross-entropy over all target tokens of the batch.
        public var loss: Double
        /// Exact-match fraction: every target position's argmax equals its target.
        public var accuracy: Double
        /// Per sample: exact match or not.
        public var correct: [Bool]
        public var targetCount: Int
        /// Fraction of target tokens whose argmax is the target.
        public var tokenAccuracy: Double = .nan
        /// Mean over target tokens of the target's logit minus the largest other logit.
        public var margin: Double = .nan
        /// TransformerLens's logit difference: the mean over the contrast's counted rows of
        /// logit(answer) − logit(wrong) (nil when the batch has no `LogitContrast`).
        public var logitDiff: Double? = nil
        /// Per target position (the rows of `targetLogProbs`), the sample it belongs to.
        public var sampleOfRow: [Int] = []
        /// The log-probabilities at target positions (R × d_vocab), when asked for.
        public var targetLogProbs: [Float]? = nil

        /// Mean over target tokens of the probability of the target (`Metric.prob`;
        /// evaluations only, not training passes).
        public var prob: Double = .nan

        /// The value of `metric` (KL against `reference`: see `Metric.value`).
        public func value(_ metric: Metric, reference: Evaluation? = nil) -> Double { metric.value(self, reference: reference) }
    }

    /// What an ablation or a patch is scored by (the one definition is `GCCore.Metric`).
    public typealias Metric = GCCore.Metric

    /// Loss and exact-match accuracy of a batch (teacher-forced argmax), with the other
    /// metrics; `logProbs` keeps the log-probabilities at target positions (for KL).
    public func evaluate(_ b: TokenBatch, hooks: [(Component, ComponentHook)] = [], logProbs: Bool = false) throws -> Evaluation {
        // a batch the model keeps a clean run of: its evaluation (the same bits)
        if hooks.isEmpty, let clean = cleanRunKept(for: b, logProbs: logProbs) { return clean.evaluation }
        let plan = try targetPlan(b)
        try forward(plan, hooks: hooks, lastRows: true)
        return evaluation(plan, b, logProbs: logProbs)
    }

    /// The evaluation of the last forward pass over `plan`.
    func evaluation(_ plan: Plan, _ b: TokenBatch, logProbs: Bool) -> Evaluation {
        var e = summarize(plan, b, gradient: false)
        if logProbs {
            let V = config.dVocab, R = plan.logitRows.count, lg = ws.logits.pointer
            var out = [Float](repeating: 0, count: R * V)
            for r in 0..<R {
                let row = lg + r * V
                var mx = -Float.infinity
                for j in 0..<V where row[j] > mx { mx = row[j] }
                var sum = 0.0
                for j in 0..<V { sum += Double(_exp(row[j] - mx)) }
                let logZ = Float(Double(mx) + _log(sum))
                for j in 0..<V { out[r * V + j] = row[j] - logZ }
            }
            e.targetLogProbs = out
        }
        return e
    }

    /// Which weight gradients a backward pass computes.
    enum GradientScope {
        /// Every parameter's (training).
        case all
        /// Only the scored matrices, W_V[l,h] and W_out[l] (G and gradient × weight).
        case scoredWeights
        /// None: only the activations' gradients (the gate estimators).
        case activations
    }

    /// Loss and accuracy, and the gradient of the mean loss in `gradients` (overwritten).
    @discardableResult
    public func lossAndGradient(_ b: TokenBatch, hooks: [(Component, ComponentHook)] = []) throws -> Evaluation {
        try lossAndGradient(b, hooks: hooks, scope: .all)
    }

    /// As `lossAndGradient`, with only the weight gradients of `scope` computed (the others
    /// are left at zero).
    /// `lastRows: false` computes the last layer at every row (for tests: the same bits).
    func lossAndGradient(_ b: TokenBatch, hooks: [(Component, ComponentHook)] = [], scope: GradientScope,
                         lastRows: Bool = true) throws -> Evaluation {
        let plan = try targetPlan(b)
        guard !plan.targets.isEmpty else { throw GCError("the batch has no target positions (nothing after SEP)") }
        try forward(plan, hooks: hooks, lastRows: lastRows)
        if let site = ws.replaced.first(where: { !$0.isComponentOutput }) {
            throw GCError("a hook replaced \(site); gradients are taken only through replaced component outputs (heads, z, ATTN, MLP), not other hook points")
        }
        let e = summarize(plan, b, gradient: true)
        gradients.zero(layout.count)
        backward(plan, scope: scope)
        return e
    }

    private func summarize(_ plan: Plan, _ b: TokenBatch, gradient: Bool) -> Evaluation {
        let V = config.dVocab, R = plan.logitRows.count
        let logits = ws.logits.pointer
        var total = 0.0
        plan.targets.withUnsafeBufferPointer { tg in
            total = crossEntropy(logits, tg.baseAddress!, R, V, gradient ? ws.dlogits.pointer : nil, R)
        }
        var correct = [Bool](repeating: true, count: b.size)
        var rows = RowMetrics()
        for r in 0..<R where !rows.add(logits + r * V, vocab: V, target: Int(plan.targets[r]), probability: !gradient) {
            correct[plan.sampleOfRow[r]] = false
        }
        for s in 0..<b.size where b.targetPositions[s].isEmpty { correct[s] = false }
        let acc = Double(correct.filter { $0 }.count) / Double(max(b.size, 1))
        var e = Evaluation(loss: R > 0 ? total / Double(R) : .nan, accuracy: acc, correct: correct, targetCount: R)
        e.tokenAccuracy = R > 0 ? Double(rows.tokensRight) / Double(R) : .nan
        e.margin = R > 0 ? rows.margin / Double(R) : .nan
        if let c = plan.contrast { e.logitDiff = c.mean(logits, vocab: V) }
        if !gradient { e.prob = R > 0 ? rows.prob / Double(R) : .nan }
        e.sampleOfRow = plan.sampleOfRow
        return e
    }

    // MARK: Gradient magnitudes

    /// Which gradient each component's magnitude is read from.
    public enum GradientNorm: String, CaseIterable {
        /// ||∂L/∂W||_F (paper version 1).
        case raw
        /// ||∂L/∂W||_F / √(entries): the RMS gradient (paper version 2).
        case perParam = "per-param"
    }

    /// Per component, the norm of the last backward pass's gradient: W_V[l,h] for a head
    /// (d_model × d_head), W_out[l] for an MLP (d_mlp × d_model). With
    /// `wholeWV` every head of a layer gets the norm of the whole W_V (the public code's
    /// appendix defect, kept as an option).
    public func componentGradientNorms(_ norm: GradientNorm, wholeWV: Bool = false) -> [Component: Double] {
        let c = config, D = c.dModel, H = c.nHeads, dh = c.dHead, HD3 = 3 * H * dh, M = c.dMLP
        let g = gradients.pointer
        var out: [Component: Double] = [:]
        for l in 0..<c.nLayers {
            let b = layout.blocks[l]
            var perHead = [Double](repeating: 0, count: H)
            for d in 0..<D { for h in 0..<H { for e in 0..<dh {
                let v = Double(g[b.wqkv + d * HD3 + 2 * H * dh + h * dh + e]); perHead[h] += v * v
            } } }
            let whole = perHead.reduce(0, +)
            for h in 0..<H {
                let ss = wholeWV ? whole : perHead[h]
                let n = wholeWV ? Double(D * H * dh) : Double(D * dh)
                out[.head(layer: l, head: h)] = norm == .raw ? ss.squareRoot() : (ss / n).squareRoot()
            }
            var ss = 0.0
            for i in 0..<(M * D) { let v = Double(g[b.wout + i]); ss += v * v }
            out[.mlp(layer: l)] = norm == .raw ? ss.squareRoot() : (ss / Double(M * D)).squareRoot()
        }
        return out
    }
}

/// The buffers of one forward/backward pass, grown on demand and reused.
final class Workspace {
    final class LayerBuffers {
        let x1 = FloatBuffer(), ln1Mean = FloatBuffer(), ln1Rstd = FloatBuffer()
        let qkv = FloatBuffer(), pattern = FloatBuffer(), z = FloatBuffer()
        let residMid = FloatBuffer(), x2 = FloatBuffer(), ln2Mean = FloatBuffer(), ln2Rstd = FloatBuffer()
        let hpre = FloatBuffer(), hact = FloatBuffer(), cdf = FloatBuffer()
    }
    let config: ModelConfig
    let resid: [FloatBuffer]
    let layers: [LayerBuffers]
    let xf = FloatBuffer(), lnfMean = FloatBuffer(), lnfRstd = FloatBuffer()
    let xfRows = FloatBuffer(), logits = FloatBuffer(), headOut = FloatBuffer(), headSum = FloatBuffer(), mlpOut = FloatBuffer()
    let zHead = FloatBuffer(), attnOut = FloatBuffer()
    let dresid = FloatBuffer(), dx = FloatBuffer(), dz = FloatBuffer(), zMasked = FloatBuffer()
    let dqkv = FloatBuffer(), dhidden = FloatBuffer(), dlogits = FloatBuffer(), dxfRows = FloatBuffer(), dscaled = FloatBuffer()
    let attnScratch = FloatBuffer()
    /// The last layer's z and its gradient at the logit rows, when the last pass computed
    /// the last layer at those rows only (`cut`).
    let zRows = FloatBuffer(), dzRows = FloatBuffer()
    var replaced: Set<Component> = []
    /// The logit rows, when the last forward pass computed its last layer at them only.
    var cut: [Int]? = nil

    init(_ c: ModelConfig) {
        config = c
        resid = (0...c.nLayers).map { _ in FloatBuffer() }
        layers = (0..<c.nLayers).map { _ in LayerBuffers() }
    }

    /// Throws when a pass of this size would need a buffer beyond `Limits.maxElements`.
    func check(T: Int, R: Int, patterns: Int) throws {
        let c = config, widest = max(c.dModel, 3 * c.nHeads * c.dHead, c.dMLP)
        _ = try Limits.product([T, widest], what: "a pass over \(T) tokens")
        _ = try Limits.product([R, c.dVocab], what: "logits for \(R) positions")
        _ = try Limits.product([patterns], what: "attention patterns of \(patterns) entries")
    }

    func prepare(T: Int, R: Int, patterns: Int) {
        let c = config, D = c.dModel, HD = c.nHeads * c.dHead, M = c.dMLP, V = c.dVocab
        for r in resid { r.reserve(T * D) }
        for a in layers {
            a.x1.reserve(T * D); a.ln1Mean.reserve(T); a.ln1Rstd.reserve(T)
            a.qkv.reserve(T * 3 * HD); a.pattern.reserve(patterns); a.z.reserve(T * HD)
            a.residMid.reserve(T * D); a.x2.reserve(T * D); a.ln2Mean.reserve(T); a.ln2Rstd.reserve(T)
            a.hpre.reserve(T * M); a.hact.reserve(T * M); a.cdf.reserve(T * M)
        }
        xf.reserve(T * D); lnfMean.reserve(T); lnfRstd.reserve(T)
        xfRows.reserve(R * D); logits.reserve(R * V); headOut.reserve(T * D); headSum.reserve(T * D); mlpOut.reserve(T * D)
        zHead.reserve(T * c.dHead); attnOut.reserve(T * D)
        dresid.reserve(T * D); dx.reserve(T * D); dscaled.reserve(T * D); dz.reserve(T * HD); zMasked.reserve(T * HD)
        dqkv.reserve(T * 3 * HD); dhidden.reserve(T * M); dlogits.reserve(R * V); dxfRows.reserve(R * D)
        attnScratch.reserve(max(T, 1)); zRows.reserve(R * HD); dzRows.reserve(R * HD)
    }
}
