import Foundation
import Testing
@testable import GCCore

/// The estimator ladder's first-order estimators are the derivatives they claim to be
/// (central finite differences of the gated forward pass), integrated gradients add up to
/// the joint ablation (completeness), and Shapley values add up to the effect of ablating
/// everything (efficiency).
@Suite("Estimators: gate gradients, attribution patching, integrated gradients, Shapley")
struct EstimatorTests {
    let model: Transformer
    let batch: TokenBatch
    /// The batch with a logit contrast: at every target position, the target against the
    /// sample's first x (TransformerLens's logit difference).
    let contrasted: TokenBatch
    let means: ComponentMeans

    init() throws {
        model = try randomModel(tinyConfig(positions: .learned), seed: 11)
        batch = try AlgorithmicTask.reverse().batch(size: 6, lengths: 3...5, seed: 4, stream: "estimators")
        let b = batch, answers = zip(b.rows, b.targetPositions).map { r, tp in tp.map { r[$0 + 1] } }
        contrasted = try b.contrasted(LogitContrast(b, answer: .perTarget(answers), wrong: .perSample(b.rows.map { $0[1] })))
        means = try model.componentMeans(batch)
    }

    /// The batch a metric is scored on (the logit difference needs its contrast).
    func batch(for metric: Transformer.Metric) -> TokenBatch { metric.needsContrast ? contrasted : batch }

    /// Central difference of f along one component's gate, in Double arithmetic of Float passes.
    func centralDifference(_ c: Component, _ baseline: Ablation, _ metric: Transformer.Metric,
                           reference: [Float]?, at alpha: Float = 0, h: Float = 1e-2) throws -> Double {
        let b = batch(for: metric)
        let up = try model.gatedMetric(b, baseline: baseline, alpha: [c: alpha + h], metric: metric, reference: reference)
        let down = try model.gatedMetric(b, baseline: baseline, alpha: [c: alpha - h], metric: metric, reference: reference)
        return (up - down) / Double(2 * h)
    }

    /// |a − b| ≤ 2e-2·max(|a|, |b|) + 1e-4: finite differences in Float with h = 1e-2.
    func expectNear(_ a: Double, _ b: Double, _ what: String) {
        #expect(abs(a - b) <= 2e-2 * max(abs(a), abs(b)) + 1e-4, "\(what): estimate \(a), finite difference \(b)")
    }

    @Test(arguments: [Transformer.Metric.loss, .margin, .logitDiff, .prob])
    func attributionPatchingIsTheDerivativeTowardTheMean(metric: Transformer.Metric) throws {
        let est = try model.firstOrderEstimates(batch(for: metric), baseline: .mean(means), metrics: [metric])[0]
        #expect(est.differentiated == metric)
        for c in model.config.components {
            let fd = try centralDifference(c, .mean(means), metric, reference: nil)
            expectNear(est.attribution[c]!, metric.damage(fd), "\(metric) \(c)")
        }
    }

    @Test(arguments: [Transformer.Metric.loss, .margin, .logitDiff, .prob])
    func gateGradientIsTheDerivativeOfAMultiplicativeGate(metric: Transformer.Metric) throws {
        // out = g·a with g = 1 − α on the path to zero: −∂f/∂g = ∂f/∂α
        let est = try model.firstOrderEstimates(batch(for: metric), baseline: .mean(means), metrics: [metric])[0]
        for c in model.config.components {
            let fd = try centralDifference(c, .zero, metric, reference: nil)
            expectNear(est.gate[c]!, metric.damage(fd), "\(metric) \(c)")
        }
    }

    @Test func klIsFlatAtTheCleanRunAndCurvedAwayFromIt() throws {
        let est = try model.firstOrderEstimates(batch, baseline: .mean(means), metrics: [.kl])[0]
        for c in model.config.components {
            #expect(abs(est.attribution[c]!) < 1e-5 && abs(est.gate[c]!) < 1e-5, "\(c): \(est.attribution[c]!)")
        }
        // away from the clean run the KL's gradient is the finite difference's
        let reference = try model.evaluate(batch, logProbs: true).targetLogProbs
        let ig = try model.integratedGradients(batch, baseline: .mean(means), steps: 1, metrics: [.kl])[0]
        // one midpoint step: the derivative at α = ½ for every component at once; check one
        // component's against the joint path's finite difference is not separable, so check
        // a single-component path instead
        let c = Component.mlp(layer: 0)
        let single = try model.integratedGradients(batch, baseline: .mean(means), steps: 1, metrics: [.kl], components: [c])[0]
        let fd = try centralDifference(c, .mean(means), .kl, reference: reference, at: 0.5)
        expectNear(single.scores[c]!, fd, "KL at α = ½")
        #expect(ig.scores.count == model.config.components.count)
    }

    @Test func integratedGradientsAreCompleteAndConvergeWithSteps() throws {
        var errors: [Double] = []
        for steps in [2, 8, 32] {
            let ig = try model.integratedGradients(batch, baseline: .mean(means), steps: steps, metrics: [.loss, .accuracy])
            #expect(ig[1].differentiated == .loss && ig[1].scores == ig[0].scores)
            errors.append(abs(ig[0].completenessError))
            // the total is the exact effect of ablating every component at once
            let all = try model.jointAblation(batch, ablation: .mean(means), components: model.config.components, metric: .loss)
            #expect(abs(ig[0].total - all.joint) <= 1e-5 * max(1, abs(all.joint)), "total \(ig[0].total) vs joint ablation \(all.joint)")
        }
        #expect(errors[2] < errors[0], "completeness error should fall with steps: \(errors)")
        #expect(errors[2] <= 0.02 * abs(try model.integratedGradients(batch, baseline: .mean(means), steps: 32, metrics: [.loss])[0].total) + 1e-4)
    }

    /// Found comparing a --jobs 1 run with a --jobs 2 run: sums over a dictionary's values
    /// took the process's hash order, so their last bits changed from run to run.
    @Test func sumsOverComponentsTakeComponentOrder() throws {
        let comps = model.config.components
        let ig = try model.integratedGradients(batch, baseline: .mean(means), steps: 2, metrics: [.loss])[0]
        #expect(ig.sum == comps.reduce(0) { $0 + ig.scores[$1]! })
        let j = try model.jointAblation(batch, ablation: .mean(means), components: comps, metric: .loss)
        #expect(j.sumOfSingles == comps.reduce(0) { $0 + j.singles[$1]! })
    }

    @Test func integratedGradientsOfOneComponentConvergeToItsExactAblation() throws {
        let c = Component.head(layer: 1, head: 0)
        let ig = try model.integratedGradients(batch, baseline: .mean(means), steps: 32, metrics: [.loss], components: [c])[0]
        let exact = try model.causalScores(batch, ablation: .mean(means), components: [c], metric: .loss).scores[c]!
        #expect(abs(ig.total - exact) <= 1e-5 * max(1, abs(exact)))
        #expect(abs(ig.scores[c]! - exact) <= 1e-2 * abs(exact) + 1e-4, "IG \(ig.scores[c]!) vs exact \(exact)")
    }

    @Test func shapleyValuesAddUpToTheWholeAblationAndAreSeeded() throws {
        let metrics: [Transformer.Metric] = [.accuracy, .loss, .kl]
        let a = try model.shapleyValues(batch, ablation: .mean(means), permutations: 3, seed: 7, metrics: metrics)
        let b = try model.shapleyValues(batch, ablation: .mean(means), permutations: 3, seed: 7, metrics: metrics)
        for (x, y) in zip(a, b) { #expect(x.scores == y.scores) }
        let all = try model.jointAblation(batch, ablation: .mean(means), components: model.config.components, metric: .loss)
        #expect(abs(a[1].total - all.joint) < 1e-9)
        for s in a {
            #expect(abs(s.scores.values.reduce(0, +) - s.total) <= 1e-9 * max(1, abs(s.total)), "\(s.metric)")
            #expect(s.standardErrors.count == model.config.components.count)
        }
        // one component: its Shapley value is its ablation effect
        let c = Component.mlp(layer: 1)
        let one = try model.shapleyValues(batch, ablation: .mean(means), permutations: 1, seed: 1, metrics: [.loss], components: [c])[0]
        let exact = try model.causalScores(batch, ablation: .mean(means), components: [c], metric: .loss).scores[c]!
        #expect(abs(one.scores[c]! - exact) < 1e-12)
    }

    @Test func causalScoresOfSeveralMetricsAreEachMetricsOwn() throws {
        let metrics = Transformer.Metric.allCases
        let together = try model.causalScores(contrasted, ablation: .zero, metrics: metrics)
        for (k, m) in metrics.enumerated() {
            let alone = try model.causalScores(batch(for: m), ablation: .zero, metric: m)
            #expect(together[k].scores == alone.scores && together[k].base == alone.base, "\(m)")
        }
    }

    @Test func theLogitDifferenceNeedsItsContrast() throws {
        let e = #expect(throws: GCError.self) { try model.causalScores(batch, ablation: .zero, metric: .logitDiff) }
        #expect(e?.message.contains("'margin'") == true)
        #expect(throws: GCError.self) { try model.firstOrderEstimates(batch, baseline: .zero, metrics: [.loss, .logitDiff]) }
        #expect(throws: GCError.self) { try model.patchingScores(clean: batch, corrupted: batch, metric: .logitDiff) }
        #expect(try model.evaluate(batch).logitDiff == nil && model.evaluate(contrasted).logitDiff != nil)
        // a contrast made for another batch does not attach
        let other = try AlgorithmicTask.reverse().batch(size: 2, lengths: 3...3, seed: 1, stream: "other")
        #expect(throws: GCError.self) { try other.contrasted(contrasted.contrast) }
    }

    @Test func gatesLeaveTheModelsCleanRunUnchanged() throws {
        // α = 0 everywhere computes the clean run (up to the order of the heads' sum)
        let clean = try model.evaluate(batch).loss
        let gated = try model.gatedMetric(batch, baseline: .mean(means), alpha: Dictionary(uniqueKeysWithValues: model.config.components.map { ($0, 0) }), metric: .loss)
        #expect(abs(clean - gated) < 1e-5)
        // α = 1 for one component is its mean ablation
        let c = Component.head(layer: 0, head: 1)
        let ablated = try model.evaluate(batch, hooks: [(c, model.ablationHook(c, .mean(means)))]).loss
        let one = try model.gatedMetric(batch, baseline: .mean(means), alpha: [c: 1], metric: .loss)
        #expect(abs(ablated - one) < 1e-5)
    }

    @Test func badEstimatorArgumentsAreErrors() throws {
        #expect(throws: GCError.self) { try model.integratedGradients(batch, baseline: .zero, steps: 0, metrics: [.loss]) }
        #expect(throws: GCError.self) { try model.shapleyValues(batch, ablation: .zero, permutations: 0, seed: 1, metrics: [.loss]) }
        #expect(throws: GCError.self) { try model.firstOrderEstimates(batch, baseline: .zero, metrics: [.loss], components: [.attention(layer: 0)]) }
        #expect(throws: GCError.self) { try model.firstOrderEstimates(batch, baseline: .zero, metrics: [.loss], components: [.mlp(layer: 9)]) }
        let other = try AlgorithmicTask.reverse().batch(size: 2, lengths: 3...3, seed: 1, stream: "x")
        let outputs = try model.componentOutputs(other, components: model.config.components)
        #expect(throws: GCError.self) { try model.firstOrderEstimates(batch, baseline: .resample(outputs), metrics: [.loss]) }
    }
}

/// The estimators against PyTorch (TransformerLens 3.9.0 hooks with scalar gates) on the
/// committed fixture made by `Tests/Fixtures/make_estimator_reference.py`: the reference
/// model and batch of `ReferenceFixtureTests`, means over the batch's positions.
/// The fixture stores raw derivatives and changes of f; gcgap orients them as damage.
/// Tolerance: |gcgap − torch| ≤ 1e-3·max(|gcgap|, |torch|) + 1e-5 (float32 sums in other orders).
@Suite("Estimators match PyTorch on the committed fixture")
struct EstimatorFixtureTests {
    let reference: SafeTensors.File
    let model: Transformer
    let batch: TokenBatch
    let means: ComponentMeans

    init() throws {
        let dir = ReferenceFixtureTests.dir
        reference = try SafeTensors.read(path: dir + "/reference_estimators.safetensors")
        let outputs = try SafeTensors.read(path: dir + "/reference_outputs.safetensors")
        model = try Transformer.load(path: dir + "/reference_model.safetensors")
        let rows = outputs.tensors["rows"]!, lengths = outputs.tensors["row_lengths"]!
        let width = rows.shape[1]
        batch = try TokenBatch(rows: (0..<rows.shape[0]).map { i in
            (0..<Int(lengths.data[i])).map { Int32(rows.data[i * width + $0]) }
        })
        means = try model.componentMeans(batch)
        // the fixture's logit difference: at SEP (it predicts y1), y1 against (y1 + 7) mod 100
        let b = batch, seps = b.rows.map { $0.firstIndex(of: b.special.sep)! }
        let y1 = zip(b.rows, seps).map { r, s in r[s + 1] }
        contrasted = try b.contrasted(LogitContrast(b, answer: .perSample(y1), wrong: .perSample(y1.map { ($0 + 7) % 100 }),
                                                        at: .perSample(seps.map { $0 + 1 })))
    }

    /// The batch with the fixture's logit contrast.
    let contrasted: TokenBatch
    func batch(for metric: Transformer.Metric) -> TokenBatch { metric.needsContrast ? contrasted : batch }

    /// Raw changes of f from damage-oriented scores, in the fixture's component order.
    func raw(_ scores: [Component: Double], _ metric: Transformer.Metric, negate: Bool = false) -> [Float] {
        model.config.components.map { c in
            let v = metric.higherIsBetter ? -scores[c]! : scores[c]!
            return Float(negate ? -v : v)
        }
    }

    func expectClose(_ ours: [Float], _ name: String) {
        let theirs = reference.tensors[name]!.data
        let c = closeness(ours, theirs, rtol: 1e-3, atol: 1e-5)
        #expect(c <= 1, "\(name): worst ratio \(c); ours \(ours), torch \(theirs)")
    }

    @Test func meansAreTheFixturesMeans() {
        let ours = model.config.components.flatMap { means.values[$0]! }
        expectClose(ours, "means")
    }

    @Test(arguments: [Transformer.Metric.loss, .margin, .logitDiff, .kl])
    func gateGradientsAndAttributionPatching(metric: Transformer.Metric) throws {
        let e = try model.firstOrderEstimates(batch(for: metric), baseline: .mean(means), metrics: [metric])[0]
        // gate: the fixture stores ∂f/∂g; gcgap's estimate of zero ablation is −∂f/∂g as damage
        expectClose(raw(e.gate, metric, negate: true), "gate.\(metric.rawValue)")
        expectClose(raw(e.attribution, metric), "attrib.\(metric.rawValue)")
    }

    @Test(arguments: [Transformer.Metric.loss, .margin, .logitDiff, .kl])
    func integratedGradientsWithFourSteps(metric: Transformer.Metric) throws {
        let ig = try model.integratedGradients(batch(for: metric), baseline: .mean(means), steps: 4, metrics: [metric])[0]
        expectClose(raw(ig.scores, metric), "ig.\(metric.rawValue)")
        let total = Float(metric.higherIsBetter ? -ig.total : ig.total)
        expectClose([total], "ig_total.\(metric.rawValue)")
    }

    @Test(arguments: [Transformer.Metric.loss, .margin, .logitDiff, .kl])
    func exactMeanAblation(metric: Transformer.Metric) throws {
        let c = try model.causalScores(batch(for: metric), ablation: .mean(means), metric: metric)
        expectClose(raw(c.scores, metric), "exact.\(metric.rawValue)")
        if metric != .kl { expectClose([Float(c.base)], "clean.\(metric.rawValue)") }
    }
}

/// C's fast route (each ablated pass resumes at its first ablated layer from the clean
/// run's activations) gives exactly the numbers of full passes.
@Suite("Ablations resumed from the clean run equal full passes, bit for bit")
struct ResumedAblationTests {
    @Test(arguments: ["mean", "zero", "resample"])
    func sameBitsAsFullPasses(kind: String) throws {
        let model = try randomModel(tinyConfig(positions: .learned), seed: 5)
        let task = AlgorithmicTask.sort()
        // with a logit contrast (at each sample's last input position: END against PAD)
        let plain = try task.batch(size: 9, lengths: 4...4, seed: 2, stream: "c")
        let batch = try plain.contrasted(LogitContrast(plain, answer: .every(103), wrong: .every(100), at: .every(-1)))
        let ablation: Ablation
        switch kind {
        case "zero": ablation = .zero
        case "resample": ablation = .resample(try model.componentOutputs(try task.batch(size: 9, lengths: 4...4, seed: 3, stream: "c"),
                                                                       components: model.config.components))
        default: ablation = .mean(try model.componentMeans(batch))
        }
        let comps = model.config.components
        let fast = try model.causalScores(batch, ablation: ablation, metrics: [.accuracy, .loss, .margin, .logitDiff])
        for c in comps {
            let full = try model.evaluate(batch, hooks: [(c, model.ablationHook(c, ablation))])
            #expect(fast[1].ablated[c] == full.loss && fast[2].ablated[c] == full.margin && fast[3].ablated[c] == full.logitDiff, "\(c)")
            #expect(fast[0].ablated[c] == full.accuracy && fast[0].correct[c] == full.correct, "\(c)")
        }
        // groups resume at their lowest layer: L1.H0 with L0.MLP resumes at L0's MLP
        for group in [[Component.head(layer: 1, head: 0), .mlp(layer: 0)], [.mlp(layer: 1)], comps] {
            let joint = try model.jointAblation(batch, ablation: ablation, components: group, metric: .loss)
            let base = try model.evaluate(batch).loss
            let full = try model.evaluate(batch, hooks: group.map { ($0, try model.ablationHook($0, ablation)) }).loss
            #expect(joint.joint == full - base, "\(group)")
        }
        // a persistent hook on the model turns the fast route off without changing results
        let id = try model.addHook(.site(.residPre, layer: 0, head: -1)) { _ in false }
        defer { model.removeHook(id) }
        let hooked = try model.causalScores(batch, ablation: ablation, metrics: [.accuracy, .loss, .margin, .logitDiff])
        for (a, b) in zip(hooked, fast) { #expect(a.ablated == b.ablated, "\(a.metric)") }
    }
}

/// A model keeps its latest clean run: ablations of that batch resume from it (the same
/// bits as full passes), hooks that only look get full passes (a resumed pass never ran what
/// they would look at), and a change of parameters retires it.
@Suite("The kept clean run")
struct KeptCleanRunTests {
    @Test func servesAblationsNotObserversAndRetiresWithTheParameters() throws {
        let m = try randomModel(tinyConfig(), seed: 41)
        let task = AlgorithmicTask.reverse()
        let set = try task.batch(size: 9, lengths: 4...4, seed: 3, stream: "kept")
        let means = try m.componentMeans(set)
        let fresh = try m.copy()
        _ = try m.causalScores(set, ablation: .mean(means))          // keeps a clean run of `set`
        #expect(m.keptCleanRuns.count == 1)
        // observers (the means' own pass) see a full pass
        let again = try m.componentMeans(set)
        for c in m.config.components { #expect(again.values[c] == means.values[c], "\(c)") }
        // ablations resume, and agree with a model that kept nothing, bit for bit
        for c in [Component.mlp(layer: 1), .head(layer: 0, head: 1)] {
            let a = try m.evaluateAblated(set, ablations: [(c, try m.ablationHook(c, .mean(means)))])
            let b = try fresh.evaluate(set, hooks: [(c, try fresh.ablationHook(c, .mean(means)))])
            #expect(a.loss == b.loss && a.correct == b.correct, "\(c)")
        }
        #expect(try m.evaluate(set).loss == fresh.evaluate(set).loss)
        // a hook of the model's own is in every pass: no kept run made without it (or with
        // it, once it is gone) stands for one made now
        let half: ComponentHook = { out in
            for i in 0..<(out.tokens * out.dModel) { out.values[i] *= 0.5 }
            return true
        }
        let id = try m.addHook(.mlp(layer: 1), half)
        _ = try fresh.addHook(.mlp(layer: 1), half)
        #expect(try m.evaluateAblated(set, ablations: []).loss == fresh.evaluate(set).loss)
        #expect(try m.evaluate(set).loss == fresh.evaluate(set).loss)
        _ = try m.causalScores(set, ablation: .mean(means))           // a run made under the hook
        m.removeHook(id)
        fresh.removeAllHooks()
        #expect(try m.evaluate(set).loss == fresh.evaluate(set).loss)
        // new parameters: the kept run no longer fits
        _ = try m.causalScores(set, ablation: .mean(means))
        #expect(m.cleanRunKept(for: set, logProbs: false) != nil)
        m.parameters.pointer[0] += 1
        #expect(m.cleanRunKept(for: set, logProbs: false) == nil)
    }
}

/// A model keeps two clean runs, so that an analysis alternating between two sets resumes
/// on both; an ablation on a set with no run makes one; an ablation a run has already
/// evaluated is read back; the OOD selection keeps the chosen set's run. Every answer is the
/// same bits as a full pass on a model that kept nothing.
@Suite("Two kept clean runs and the ablations they remember")
struct KeptRunsAndRecordTests {
    let task = AlgorithmicTask.reverse()

    func full(_ fresh: Transformer, _ b: TokenBatch, _ comps: [Component], _ ab: Ablation) throws -> Transformer.Evaluation {
        try fresh.evaluate(b, hooks: comps.map { ($0, try fresh.ablationHook($0, ab)) })
    }

    @Test func ablationsOnTwoSetsResumeFromTwoRuns() throws {
        let m = try randomModel(tinyConfig(), seed: 43), fresh = try m.copy()
        let a = try task.batch(size: 8, lengths: 5...5, seed: 1, stream: "a")
        let b = try task.batch(size: 6, lengths: 3...6, seed: 2, stream: "b")
        let means = try m.componentMeans(a)
        let picks: [[Component]] = [[.mlp(layer: 1)], [.head(layer: 0, head: 1), .mlp(layer: 0)], [.head(layer: 1, head: 0)]]
        for comps in picks {
            for set in [a, b] {
                let e = try m.evaluateAblated(set, components: comps, ablation: .mean(means))
                let f = try full(fresh, set, comps, .mean(means))
                #expect(e.loss == f.loss && e.correct == f.correct, "\(comps)")
            }
        }
        #expect(m.keptCleanRuns.count == 2)
        #expect(m.cleanRunKept(for: a, logProbs: false) != nil && m.cleanRunKept(for: b, logProbs: false) != nil)
        // a third set retires the least recent
        let c = try task.batch(size: 5, lengths: 4...4, seed: 3, stream: "c")
        _ = try m.evaluateAblated(c, components: [.mlp(layer: 1)], ablation: .zero)
        #expect(m.keptCleanRuns.count == 2 && m.cleanRunKept(for: a, logProbs: false) == nil)
        // the plain evaluations are the runs' own: the same bits
        for set in [b, c] { #expect(try m.evaluate(set).loss == fresh.evaluate(set).loss) }
    }

    @Test func aRepeatedAblationIsReadBackAndADifferentOneIsNot() throws {
        let m = try randomModel(tinyConfig(), seed: 44), fresh = try m.copy()
        let set = try task.batch(size: 9, lengths: 4...5, seed: 4, stream: "r")
        let means = try m.componentMeans(set)
        let C = try m.causalScores(set, ablation: .mean(means))
        let members: [Component] = [.head(layer: 0, head: 0), .mlp(layer: 1)]
        let j = try m.jointAblation(set, ablation: .mean(means), components: members, leaveOneOut: false)
        for c in members {
            // the single effects are C's (read back), and the full passes' own
            #expect(j.singles[c] == C.base - C.ablated[c]!, "\(c)")
            #expect(C.ablated[c] == (try full(fresh, set, [c], .mean(means))).accuracy, "\(c)")
        }
        let joint = try full(fresh, set, members, .mean(means))
        #expect(j.joint == C.base - joint.accuracy)
        // read back through evaluateAblated: the joint pair, in either order
        let again = try m.evaluateAblated(set, components: members.reversed(), ablation: .mean(means))
        #expect(again.loss == joint.loss && again.correct == joint.correct)
        // other means (one value changed) or zero ablation are other ablations
        var other = means
        other.values[.mlp(layer: 1)]![0] += 0.5
        for ab in [Ablation.mean(other), .zero] {
            let e = try m.evaluateAblated(set, components: members, ablation: ab)
            let f = try full(fresh, set, members, ab)
            #expect(e.loss == f.loss && e.correct == f.correct)
        }
    }

    @Test func theOODSelectionKeepsTheChosenSetsRun() throws {
        let m = try randomModel(tinyConfig(), seed: 45), fresh = try m.copy()
        let sel = try selectOODLength(m, task: task, lengths: [4, 5], range: 0...1, size: 7, seed: 9)
        let set = try #require(sel.set)
        #expect(m.cleanRunKept(for: set, logProbs: false) != nil)
        #expect(sel.accuracies[0].accuracy == (try fresh.evaluate(set)).accuracy)
    }
}

/// G computes only the gradients it reports (W_V and W_out), and they are the full
/// backward pass's.
@Suite("G from the scored matrices' gradients alone")
struct ScopedGradientTests {
    @Test func scoredWeightGradientsEqualTheFullBackwardPasses() throws {
        let model = try randomModel(tinyConfig(positions: .learned), seed: 8)
        let batch = try AlgorithmicTask.reverse().batch(size: 7, lengths: 3...6, seed: 1, stream: "g")
        try model.lossAndGradient(batch)
        let full = model.componentGradientNorms(.raw), fullTaylor = model.componentTaylor()
        try model.lossAndGradient(batch, scope: .scoredWeights)
        let scoped = model.componentGradientNorms(.raw), scopedTaylor = model.componentTaylor()
        for c in model.config.components {
            #expect(abs(full[c]! - scoped[c]!) <= 1e-6 * full[c]!, "\(c): \(full[c]!) vs \(scoped[c]!)")
            #expect(abs(fullTaylor[c]! - scopedTaylor[c]!) <= 1e-5 * fullTaylor[c]! + 1e-9, "\(c)")
        }
        // and nothing else was computed
        #expect(try model.gradient(named: "blocks.1.mlp.W_in").data.allSatisfy { $0 == 0 })
        #expect(try model.gradient(named: "embed.W_E").data.allSatisfy { $0 == 0 })
    }
}

extension EstimatorTests {
    /// `prob`'s value from an evaluation and from the gradient code (the estimators' path)
    /// are the same number: one definition in GCCore.Metric.
    @Test func probIsOneDefinition() throws {
        let e = try model.evaluate(batch)
        let f = try model.gatedMetric(batch, baseline: .zero, alpha: [:], metric: .prob)
        #expect(abs(e.prob - f) <= 1e-12 * max(1, abs(f)), "\(e.prob) vs \(f)")
        #expect(e.prob > 0 && e.prob < 1)
    }
}
