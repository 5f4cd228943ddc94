import Foundation

/// The estimator ladder: cheap estimates of each component's ablation effect, from one
/// forward and one backward pass (gate gradient, attribution patching), k of each
/// (integrated gradients), or many forward passes (Shapley sampling).
///
/// Every estimate is oriented like `CausalScores.scores`: larger = more damage when the
/// component is ablated. Exact match and token accuracy have no gradient: the gradient
/// estimators of those metrics differentiate the loss instead (`differentiated` says so).
extension Transformer {
    /// Writes d(f)/d(logits) into the workspace for the logit rows of the last forward pass
    /// and returns f (`Metric.gradient`; `reference`: log-probabilities, for KL).
    func metricGradient(_ plan: Plan, _ metric: Metric, reference: [Float]?) -> Double {
        metric.gradient(ws.logits.pointer, targets: plan.targets, rows: plan.logitRows.count, vocab: config.dVocab,
                        reference: reference, contrast: plan.contrast, into: ws.dlogits.pointer)
    }

    /// A differentiable metric with components gated (`alpha` per component, toward
    /// `baseline`): for finite-difference checks of the estimators.
    func gatedMetric(_ batch: TokenBatch, baseline: Ablation, alpha: [Component: Float], metric: Metric,
                     reference: [Float]? = nil) throws -> Double {
        let plan = try targetPlanWithTargets(batch, [metric])
        let gates = GateState(baseline: baseline, alpha: alpha)
        try gates.check(self, tokens: plan.seqs.tokens)
        try forward(plan, gates: gates)
        return metricValue(plan, metric, reference: reference)
    }

    /// The value of a differentiable metric at the last forward pass (no gradient kept).
    private func metricValue(_ plan: Plan, _ metric: Metric, reference: [Float]?) -> Double {
        metricGradient(plan, metric, reference: reference)
    }

    /// One gated pass: a forward with every component of `components` at `alpha` on its
    /// path to `baseline`, then one activation-only backward per metric.
    /// Returns, per metric, (f, Σ(b − a)·∂f/∂out, Σ a·∂f/∂out).
    private func gatedPass(_ plan: Plan, baseline: Ablation, components: [Component], alpha: Float,
                           metrics: [Metric], reference: [Float]?) throws
        -> [Metric: (value: Double, toward: [Component: Double], along: [Component: Double])] {
        let gates = GateState(baseline: baseline, alpha: Dictionary(uniqueKeysWithValues: components.map { ($0, alpha) }))
        try gates.check(self, tokens: plan.seqs.tokens)
        try forward(plan, gates: gates)
        var out: [Metric: (Double, [Component: Double], [Component: Double])] = [:]
        for metric in metrics {
            let f = metricGradient(plan, metric, reference: reference)
            backward(plan, scope: .activations, gates: gates)
            out[metric] = (f, gates.towardBaseline, gates.alongOutput)
        }
        return out
    }

    private func checkedComponents(_ components: [Component]?) throws -> [Component] {
        let comps = components ?? config.components
        guard !comps.isEmpty else { throw GCError("no components to score") }
        guard Set(comps).count == comps.count else { throw GCError("a component is named twice") }
        for c in comps {
            try checkComponent(c)
            guard c.isScoredComponent else { throw GCError("\(c) is not a scored component (heads and MLPs only)") }
        }
        return comps
    }

    private func targetPlanWithTargets(_ b: TokenBatch, _ metrics: [Metric] = []) throws -> Plan {
        try Metric.check(metrics, [b])
        let plan = try targetPlan(b)
        guard !plan.targets.isEmpty else { throw GCError("the batch has no target positions (nothing after SEP)") }
        return plan
    }

    /// Log-probabilities of the clean run at target rows, when a metric is KL.
    private func referenceLogProbs(_ b: TokenBatch, _ metrics: [Metric]) throws -> [Float]? {
        metrics.contains { $0.needsLogProbs } ? try evaluate(b, logProbs: true).targetLogProbs : nil
    }

    /// First-order estimates of one metric from one forward and one backward pass.
    public struct FirstOrderEstimates {
        public var metric: Metric
        /// The metric actually differentiated (the loss for exact match and token accuracy).
        public var differentiated: Metric
        /// The differentiated metric at the clean run.
        public var value: Double
        /// Gate gradient: −∂f/∂g at g = 1 for out = g·a, the first-order estimate of zero
        /// ablation (oriented as damage).
        public var gate: [Component: Double]
        /// Attribution patching: Σ_positions (b − a)·∂f/∂a, the first-order estimate of
        /// ablation to the baseline b (the mean, for mean ablation; oriented as damage).
        public var attribution: [Component: Double]
    }

    /// Gate gradients and attribution patching toward `baseline`, for each metric: one
    /// forward pass and one backward pass per differentiated metric.
    public func firstOrderEstimates(_ batch: TokenBatch, baseline: Ablation, metrics: [Metric],
                                    components: [Component]? = nil) throws -> [FirstOrderEstimates] {
        let comps = try checkedComponents(components)
        let plan = try targetPlanWithTargets(batch, metrics)
        let diff = Array(Set(metrics.map(\.differentiable))).sorted { $0.rawValue < $1.rawValue }
        let reference = try referenceLogProbs(batch, diff)
        let r = try gatedPass(plan, baseline: baseline, components: comps, alpha: 0, metrics: diff, reference: reference)
        return metrics.map { m in
            let d = m.differentiable, v = r[d]!
            return FirstOrderEstimates(metric: m, differentiated: d, value: v.value,
                                       gate: v.along.mapValues { d.damage(-$0) },
                                       attribution: v.toward.mapValues { d.damage($0) })
        }
    }

    /// Integrated gradients of one metric along the joint path to the baseline.
    public struct IntegratedGradients {
        public var metric: Metric
        public var differentiated: Metric
        public var steps: Int
        /// Per component, ∫₀¹ ∂f/∂α_i dα (midpoint rule), oriented as damage.
        public var scores: [Component: Double]
        /// Σ of the scores.
        /// Σ of the scores, in component order (a dictionary's order changes from process to
        /// process, and with it the last bits of a sum).
        public var sum: Double { scores.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } }
        /// The exact effect of moving every component to its baseline at once (oriented).
        public var total: Double
        /// Completeness error: sum − total (0 for exact integration).
        public var completenessError: Double { sum - total }
    }

    /// Integrated gradients along the joint path: every component moves from its output a_i
    /// to its baseline b_i together (out_i = a_i + α(b_i − a_i), α from 0 to 1), `steps`
    /// midpoints; the scores sum to the effect of ablating every component at once, up to
    /// the completeness error reported. Costs `steps` forward passes, `steps` backward
    /// passes per differentiated metric, and one more forward pass.
    public func integratedGradients(_ batch: TokenBatch, baseline: Ablation, steps: Int = 16, metrics: [Metric],
                                    components: [Component]? = nil,
                                    shouldStop: () -> Bool = { false }) throws -> [IntegratedGradients] {
        guard steps >= 1 && steps <= 10_000 else { throw GCError("steps must be in 1..10000, got \(steps)") }
        let comps = try checkedComponents(components)
        let plan = try targetPlanWithTargets(batch, metrics)
        let diff = Array(Set(metrics.map(\.differentiable))).sorted { $0.rawValue < $1.rawValue }
        let reference = try referenceLogProbs(batch, diff)
        var sums: [Metric: [Component: Double]] = [:]
        var clean: [Metric: Double] = [:]
        for j in 0..<steps {
            if shouldStop() { throw GCError.interrupted }
            let alpha = (Float(j) + 0.5) / Float(steps)
            let r = try gatedPass(plan, baseline: baseline, components: comps, alpha: alpha, metrics: diff, reference: reference)
            for (m, v) in r { for (c, x) in v.toward { sums[m, default: [:]][c, default: 0] += x } }
        }
        // both ends of the path: f(clean) and f(every component at its baseline)
        let ends = try [Float(0), 1].map { alpha -> [Metric: Double] in
            let gates = GateState(baseline: baseline, alpha: Dictionary(uniqueKeysWithValues: comps.map { ($0, alpha) }))
            try gates.check(self, tokens: plan.seqs.tokens)
            try forward(plan, gates: gates)
            return Dictionary(uniqueKeysWithValues: diff.map { ($0, metricValue(plan, $0, reference: reference)) })
        }
        clean = ends[0]
        return metrics.map { m in
            let d = m.differentiable
            return IntegratedGradients(metric: m, differentiated: d, steps: steps,
                                       scores: sums[d]!.mapValues { d.damage($0 / Double(steps)) },
                                       total: d.damage(ends[1][d]! - clean[d]!))
        }
    }

    /// Shapley values of the ablation game, estimated by sampling permutations.
    public struct ShapleyValues {
        public var metric: Metric
        public var permutations: Int
        /// Per component, the mean marginal effect of adding it to the ablated set (damage).
        public var scores: [Component: Double]
        /// Standard error of each mean over the permutations (nil with one permutation).
        public var standardErrors: [Component: Double]
        /// The effect of ablating every component (the scores sum to it exactly).
        public var total: Double
    }

    /// Shapley-value sampling over components: for each of `permutations` random orders
    /// (stream "shapley" of `seed`), ablate the components one by one and credit each
    /// with the change in effect it adds. Costs permutations × components forward passes;
    /// every metric comes from the same passes. Exact match is a metric here (no gradient).
    public func shapleyValues(_ batch: TokenBatch, ablation: Ablation, permutations: Int, seed: UInt64,
                              metrics: [Metric], components: [Component]? = nil,
                              shouldStop: () -> Bool = { false }) throws -> [ShapleyValues] {
        guard permutations >= 1 && permutations <= 1_000_000 else { throw GCError("permutations must be in 1..1000000, got \(permutations)") }
        let comps = try checkedComponents(components)
        try Metric.check(metrics, [batch])
        let kl = metrics.contains { $0.needsLogProbs }
        let clean = try cleanRun(for: batch, logProbs: kl)
        let base = clean.evaluation
        let hooks = try comps.map { ($0, try ablationHook($0, ablation)) }
        func effects(_ active: [(Component, ComponentHook)]) throws -> [Double] {
            let e = try evaluate(clean, hooks: active, logProbs: kl)
            return metrics.map { $0.effect(e, base: base) }
        }
        var rng = Rng(seed: seed, stream: "shapley")
        var sum = [[Double]](repeating: [Double](repeating: 0, count: comps.count), count: metrics.count)
        var sumSq = sum
        var total = [Double](repeating: 0, count: metrics.count)
        for _ in 0..<permutations {
            var order = Array(0..<comps.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var active: [(Component, ComponentHook)] = []
            var previous = [Double](repeating: 0, count: metrics.count)
            for i in order {
                if shouldStop() { throw GCError.interrupted }
                active.append(hooks[i])
                let now = try effects(active)
                for k in 0..<metrics.count {
                    let marginal = now[k] - previous[k]
                    sum[k][i] += marginal
                    sumSq[k][i] += marginal * marginal
                }
                previous = now
            }
            total = previous
        }
        let n = Double(permutations)
        return metrics.enumerated().map { k, m in
            var scores: [Component: Double] = [:], se: [Component: Double] = [:]
            for (i, c) in comps.enumerated() {
                let mean = sum[k][i] / n
                scores[c] = mean
                if permutations > 1 {
                    let variance = max(0, (sumSq[k][i] - n * mean * mean) / (n - 1))
                    se[c] = (variance / n).squareRoot()
                }
            }
            return ShapleyValues(metric: m, permutations: permutations, scores: scores, standardErrors: se, total: total[k])
        }
    }
}
