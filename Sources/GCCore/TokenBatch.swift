/// PROTOCOL.md's special tokens (the public code's layout; id 0 unused).
public struct SpecialTokens: Equatable {
    public var pad: Int32 = 100
    public var start: Int32 = 101
    public var sep: Int32 = 102
    public var end: Int32 = 103
    public init() {}
    public static let protocolDefault = SpecialTokens()
}

/// A batch of token rows, each a whole sample (`START x SEP y END`).
///
/// The model reads each row without its last token and predicts the next token at every
/// position. The positions that carry loss and decide accuracy are those from the first
/// SEP on, whose next token is not PAD: SEP, y1 .. yN predicting y1 .. yN, END.
public struct TokenBatch {
    public let rows: [[Int32]]
    public let special: SpecialTokens
    /// For each row, the input positions (0-based) that have a target.
    public let targetPositions: [[Int]]
    /// The answer and wrong tokens TransformerLens's logit difference reads (`Metric.logitDiff`),
    /// when attached (`contrasted(_:)`).
    public private(set) var contrast: LogitContrast?

    public init(rows: [[Int32]], special: SpecialTokens = .protocolDefault) throws {
        guard !rows.isEmpty else { throw GCError("a batch needs at least one row") }
        var tp: [[Int]] = []
        for (i, r) in rows.enumerated() {
            guard r.count >= 2 else { throw GCError("row \(i + 1) has \(r.count) token(s); a sample needs at least 2") }
            guard let sep = r.firstIndex(of: special.sep) else {
                throw GCError("row \(i + 1) has no SEP token (\(special.sep)); targets are the tokens after the first SEP")
            }
            var p: [Int] = []
            if sep < r.count - 1 { for pos in sep..<(r.count - 1) where r[pos + 1] != special.pad { p.append(pos) } }
            tp.append(p)
        }
        self.rows = rows
        self.special = special
        self.targetPositions = tp
    }

    /// This batch with `c` attached (nil: detached); `c` must have been made for these rows.
    public func contrasted(_ c: LogitContrast?) throws -> TokenBatch {
        guard c == nil || c!.counted.count == targetCount else {
            throw GCError("the logit contrast was made for \(c!.counted.count) target positions, the batch has \(targetCount)")
        }
        var b = self
        b.contrast = c
        return b
    }

    /// Whether `other` is the same batch: rows, special tokens and contrast (what a kept
    /// clean run must match).
    public func isSame(as other: TokenBatch) -> Bool {
        rows == other.rows && special == other.special && contrast == other.contrast
    }

    public var size: Int { rows.count }
    /// Longest input (row length - 1).
    public var maxInputLength: Int { rows.map { $0.count - 1 }.max() ?? 0 }
    public var targetCount: Int { targetPositions.reduce(0) { $0 + $1.count } }

    /// The rows right-padded with PAD to the longest (what a padded tensor batch holds).
    public func padded() -> [[Int32]] {
        let n = rows.map(\.count).max() ?? 0
        return rows.map { $0 + [Int32](repeating: special.pad, count: n - $0.count) }
    }
}
