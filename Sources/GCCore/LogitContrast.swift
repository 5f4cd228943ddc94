/// What TransformerLens's logit difference (`Metric.logitDiff`) reads: at chosen target
/// positions of a batch, the logit of an answer token minus the logit of a wrong token. The
/// metric is the mean of that difference over the counted positions (IOI's
/// `logits[:, -1, answer] - logits[:, -1, wrong]`, averaged over the batch).
///
/// A contrast belongs to one batch: it holds one (answer, wrong, counted) triple per target
/// row, in the batch's own order (`TokenBatch.targetPositions`, sample by sample), and is
/// attached with `TokenBatch.contrasted(_:)`.
public struct LogitContrast: Equatable {
    /// The answer (or wrong) tokens as given: one token for every position, one per sample,
    /// or one per target position of each sample (`[sample][target]`).
    public enum Tokens: Equatable {
        case every(Int32)
        case perSample([Int32])
        case perTarget([[Int32]])
    }

    /// Where the difference is read when not at every target position: one input position
    /// per sample, 1-based as in the logits tensor (position p predicts token p + 1), and
    /// negative counting from the sample's own end (-1: its last input position).
    public enum Positions: Equatable {
        case every(Int)
        case perSample([Int])
    }

    /// Per target row: the answer token, the wrong token, whether the row is counted.
    public let answer: [Int32], wrong: [Int32], counted: [Bool]
    /// How many target rows are counted (at least 1).
    public let countedRows: Int

    /// The contrast of `answer` against `wrong` on the target rows of `b`: at every target
    /// position, or at `positions` only (then tokens are one per sample or one for all).
    public init(_ b: TokenBatch, answer: Tokens, wrong: Tokens, at positions: Positions? = nil) throws {
        let keep = try positions.map { try LogitContrast.rows(of: b, at: $0) }
        if keep != nil, case .perTarget = answer { throw GCError("answer: one token per sample expected when a position is given") }
        if keep != nil, case .perTarget = wrong { throw GCError("wrong: one token per sample expected when a position is given") }
        self.answer = try LogitContrast.perRow(answer, b, "answer")
        self.wrong = try LogitContrast.perRow(wrong, b, "wrong")
        self.counted = keep ?? [Bool](repeating: true, count: b.targetCount)
        self.countedRows = counted.filter { $0 }.count
        guard countedRows > 0 else { throw GCError("the batch has no target positions (nothing after SEP) to read a logit difference at") }
    }

    /// `tokens` spread over the target rows of `b`, checked against its shape.
    static func perRow(_ tokens: Tokens, _ b: TokenBatch, _ what: String) throws -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(b.targetCount)
        switch tokens {
        case .every(let t):
            out = [Int32](repeating: t, count: b.targetCount)
        case .perSample(let list):
            guard list.count == b.size else { throw GCError("\(what): \(list.count) tokens for \(b.size) samples (one per sample expected)") }
            for (s, t) in list.enumerated() { out += [Int32](repeating: t, count: b.targetPositions[s].count) }
        case .perTarget(let rows):
            guard rows.count == b.size else { throw GCError("\(what): \(rows.count) rows of tokens for \(b.size) samples") }
            for (s, r) in rows.enumerated() {
                guard r.count == b.targetPositions[s].count else {
                    throw GCError("\(what): row \(s + 1) has \(r.count) tokens for its \(b.targetPositions[s].count) target positions")
                }
                out += r
            }
        }
        if let k = out.firstIndex(where: { $0 < 0 }) { throw GCError("\(what): token \(out[k]) is negative") }
        return out
    }

    /// Which target rows of `b` lie at `positions` (one per sample, each a target position).
    static func rows(of b: TokenBatch, at positions: Positions) throws -> [Bool] {
        let list: [Int]
        switch positions {
        case .every(let p): list = [Int](repeating: p, count: b.size)
        case .perSample(let l):
            guard l.count == b.size else { throw GCError("pos: \(l.count) positions for \(b.size) samples (one per sample expected)") }
            list = l
        }
        var out: [Bool] = []
        for (s, p) in list.enumerated() {
            let n = b.rows[s].count - 1, at = p < 0 ? n + p : p - 1   // 0-based input position
            let targets = b.targetPositions[s]
            guard p != 0, targets.contains(at) else {
                let targetsAre = targets.isEmpty ? "it has none" : "its target positions are \(targets.first! + 1)..\(targets.last! + 1)"
                throw GCError("pos: position \(p) of row \(s + 1) has no target (\(targetsAre))")
            }
            out += targets.map { $0 == at }
        }
        return out
    }

    /// The first answer or wrong token outside 0..<vocab, if any (for `checkTokens`).
    func tokenOutside(vocab: Int) -> Int32? {
        (answer + wrong).first { Int($0) >= vocab }
    }

    /// The metric: the mean of logit(answer) − logit(wrong) over the counted rows of the
    /// logit rows `lg` (one per target row, `vocab` wide).
    func mean(_ lg: UnsafePointer<Float>, vocab V: Int) -> Double {
        var total = 0.0
        for r in counted.indices where counted[r] { total += Double(lg[r * V + Int(answer[r])] - lg[r * V + Int(wrong[r])]) }
        return total / Double(countedRows)
    }

    /// Writes d(mean)/d(logits) into `d` (R × V, overwritten) and returns the mean.
    func gradient(_ lg: UnsafePointer<Float>, vocab V: Int, into d: UnsafeMutablePointer<Float>) -> Double {
        let inv = 1 / Float(countedRows)
        for i in 0..<(counted.count * V) { d[i] = 0 }
        for r in counted.indices where counted[r] {
            d[r * V + Int(answer[r])] += inv
            d[r * V + Int(wrong[r])] -= inv
        }
        return mean(lg, vocab: V)
    }
}
