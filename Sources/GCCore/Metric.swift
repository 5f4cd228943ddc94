import Foundation

/// What an ablation, a patch or an estimator is scored by: the one home of each metric's
/// definition, its orientation, its per-row value and its gradient. Adding a metric is a
/// case here (with its row value in `RowMetrics` and, if differentiable, its gradient).
public enum Metric: String, CaseIterable {
    /// Exact match of the whole target sequence (the paper's).
    case accuracy
    /// Fraction of target tokens predicted correctly.
    case tokenAccuracy = "token_accuracy"
    /// Mean cross-entropy over target tokens.
    case loss
    /// Mean over target tokens of logit(target) − the largest other logit.
    case margin
    /// TransformerLens's logit difference: the mean of logit(answer) − logit(wrong) at the
    /// positions a `LogitContrast` names (the batch must carry one: `TokenBatch.contrasted`).
    case logitDiff = "logit_diff"
    /// Mean over target tokens of KL(reference prediction ‖ this prediction).
    case kl
    /// Mean over target tokens of the probability given to the right answer.
    case prob

    /// True when a larger value means a better model.
    public var higherIsBetter: Bool {
        switch self {
        case .accuracy, .tokenAccuracy, .margin, .logitDiff, .prob: return true
        case .loss, .kl: return false
        }
    }

    /// Whether the value compares the prediction with a reference run's (it then needs the
    /// log-probabilities at target rows: `evaluate(_:logProbs: true)`).
    public var needsLogProbs: Bool { self == .kl }

    /// The metric a gradient estimator differentiates: exact match and token accuracy have
    /// no gradient, so their estimators differentiate the loss.
    public var differentiable: Metric {
        switch self {
        case .accuracy, .tokenAccuracy: return .loss
        default: return self
        }
    }

    /// The metrics the estimator ladder scores by when none are named.
    public static let ladderDefault: [Metric] = [.accuracy, .loss, .margin, .kl]

    /// Whether the metric reads the batch's `LogitContrast`.
    public var needsContrast: Bool { self == .logitDiff }

    /// What a request for the logit difference without its tokens is told.
    public static let logitDiffHint = #"TransformerLens's logit difference needs its tokens: {"logit_diff", answer = ..., wrong = ...}; "#
        + "the target's logit minus the largest other is 'margin'"

    /// Throws unless every batch can be scored by every metric (a logit difference needs
    /// the batch's answer and wrong tokens).
    public static func check(_ metrics: [Metric], _ batches: [TokenBatch]) throws {
        guard metrics.contains(where: \.needsContrast), batches.contains(where: { $0.contrast == nil }) else { return }
        throw GCError("metric 'logit_diff': the batch has no LogitContrast. " + logitDiffHint)
    }

    /// The value of `e`. KL is measured against `reference` (the clean run's evaluation);
    /// without one, `e` is the reference and its KL is 0.
    public func value(_ e: Transformer.Evaluation, reference: Transformer.Evaluation? = nil) -> Double {
        switch self {
        case .accuracy: return e.accuracy
        case .tokenAccuracy: return e.tokenAccuracy
        case .loss: return e.loss
        case .margin: return e.margin
        case .logitDiff: return e.logitDiff ?? .nan
        case .prob: return e.prob
        case .kl:
            guard let r = reference else { return 0 }
            guard let p = r.targetLogProbs, let q = e.targetLogProbs, e.targetCount > 0 else { return .nan }
            return Metric.meanKL(p, q, rows: e.targetCount, vocab: q.count / e.targetCount)
        }
    }

    /// A change of this metric (changed − reference) oriented as damage: larger = worse.
    public func damage(_ change: Double) -> Double { higherIsBetter ? -change : change }

    /// The effect of the intervention that gave `e` against the clean run `base`, oriented so
    /// that larger = more damage (C's orientation).
    public func effect(_ e: Transformer.Evaluation, base: Transformer.Evaluation) -> Double {
        damage(value(e, reference: base) - value(base))
    }

    /// What patching recovers: how much better the patched run's value is than the
    /// corrupted run's (larger = more recovered).
    public func recovery(patched: Double, corrupted: Double) -> Double { damage(corrupted - patched) }

    /// Mean over target rows of KL(p ‖ q), both given as log-probabilities (R × V).
    public static func meanKL(_ p: [Float], _ q: [Float], rows: Int, vocab: Int) -> Double {
        guard rows > 0 else { return .nan }
        var total = 0.0
        for r in 0..<rows {
            var kl = 0.0
            for j in 0..<vocab {
                let lp = Double(p[r * vocab + j])
                kl += exp(lp) * (lp - Double(q[r * vocab + j]))
            }
            total += kl
        }
        return total / Double(rows)
    }
}

/// The per-row metrics of one pass's logit rows (the means `Evaluation` reports).
struct RowMetrics {
    var tokensRight = 0
    var margin = 0.0
    var prob = 0.0

    /// Adds one logit row with its target; returns whether the argmax is the target.
    mutating func add(_ row: UnsafePointer<Float>, vocab V: Int, target: Int, probability: Bool) -> Bool {
        var best = 0
        for j in 1..<V where row[j] > row[best] { best = j }
        if best == target { tokensRight += 1 }
        var other = -Float.infinity
        for j in 0..<V where j != target && row[j] > other { other = row[j] }
        margin += Double(row[target] - other)
        if probability { prob += RowMetrics.probability(row, vocab: V, target: target) }
        return best == target
    }

    /// softmax(row)[target], in double precision.
    static func probability(_ row: UnsafePointer<Float>, vocab V: Int, target: Int) -> Double {
        var mx = -Float.infinity
        for j in 0..<V where row[j] > mx { mx = row[j] }
        var sum = 0.0
        for j in 0..<V { sum += exp(Double(row[j] - mx)) }
        return exp(Double(row[target] - mx)) / sum
    }
}

extension Metric {
    /// Writes d(f)/d(logits) into `d` for the R logit rows and returns f, the metric's mean
    /// over rows (`reference`: the clean run's log-probabilities, for KL; `contrast`: the
    /// batch's, for the logit difference). The metric must be differentiable
    /// (`differentiable == self`).
    func gradient(_ lg: UnsafePointer<Float>, targets: [Int32], rows R: Int, vocab V: Int,
                  reference: [Float]?, contrast: LogitContrast?, into d: UnsafeMutablePointer<Float>) -> Double {
        if self == .logitDiff {   // (every caller checks the contrast first: Metric.check)
            guard let contrast else { for i in 0..<(R * V) { d[i] = 0 }; return .nan }
            return contrast.gradient(lg, vocab: V, into: d)
        }
        let inv = 1 / Float(max(R, 1))
        var total = 0.0
        for r in 0..<R where self != .loss {
            let row = lg + r * V, drow = d + r * V, target = Int(targets[r])
            switch self {
            case .margin: total += Metric.marginGradient(row, drow, V, target, inv)
            case .kl: Metric.klGradient(row, drow, V, reference!, r, inv, into: &total)
            default: total += Metric.probGradient(row, drow, V, target, inv)
            }
        }
        if self == .loss {
            total = targets.withUnsafeBufferPointer { crossEntropy(lg, $0.baseAddress!, R, V, d, R) }
        }
        return total / Double(max(R, 1))
    }

    private static func marginGradient(_ row: UnsafePointer<Float>, _ drow: UnsafeMutablePointer<Float>, _ V: Int,
                                          _ target: Int, _ inv: Float) -> Double {
        var other = -1
        for j in 0..<V where j != target && (other < 0 || row[j] > row[other]) { other = j }
        for j in 0..<V { drow[j] = 0 }
        drow[target] = inv
        drow[other] -= inv
        return Double(row[target] - row[other])
    }

    /// (Adds each term to `total` directly: the sum's order is the committed records'.)
    private static func klGradient(_ row: UnsafePointer<Float>, _ drow: UnsafeMutablePointer<Float>, _ V: Int,
                                   _ p: [Float], _ r: Int, _ inv: Float, into total: inout Double) {
        var mx = -Float.infinity
        for j in 0..<V where row[j] > mx { mx = row[j] }
        var sum = 0.0
        for j in 0..<V { sum += Double(_exp(row[j] - mx)) }
        let logZ = Double(mx) + _log(sum)
        for j in 0..<V {
            let logq = Double(row[j]) - logZ, logp = Double(p[r * V + j])
            let pj = exp(logp)
            total += pj * (logp - logq)
            drow[j] = Float(exp(logq) - pj) * inv
        }
    }

    /// d p_t / d logit_j = p_t (δ_tj − p_j).
    private static func probGradient(_ row: UnsafePointer<Float>, _ drow: UnsafeMutablePointer<Float>, _ V: Int,
                                     _ target: Int, _ inv: Float) -> Double {
        var mx = -Float.infinity
        for j in 0..<V where row[j] > mx { mx = row[j] }
        var sum = 0.0
        for j in 0..<V { sum += exp(Double(row[j] - mx)) }
        let pt = exp(Double(row[target] - mx)) / sum
        for j in 0..<V {
            let pj = exp(Double(row[j] - mx)) / sum
            drow[j] = Float(pt * ((j == target ? 1 : 0) - pj)) * inv
        }
        return pt
    }
}
