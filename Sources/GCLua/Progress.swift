import Foundation
import GCCore

/// A long native call's progress on stderr (a terminal only): "score.causal: 14 passes, 3 s".
/// Its `stop` stands in for `ScoringBinding.stop` (the scorers ask it before each pass, one
/// thread at a time), counts the passes, and shows the line once the call has run a second;
/// `finish()` ends the line. Quiet when stderr is not a terminal, as every status line.
final class Progress {
    private let label: String
    private let line = StatusLine()
    private let start = Date()
    private var passes = 0

    init(_ label: String) { self.label = label }

    /// Ctrl-C and the sandbox's limits, as `ScoringBinding.stop`, and the count.
    lazy var stop: () -> Bool = { [unowned self] in
        self.passes += 1
        let t = Date().timeIntervalSince(self.start)
        if t >= 1 { self.line.update("\(self.label): \(self.passes) passes, \(StatusLine.duration(t))") }
        return ScoringBinding.stop()
    }

    func finish() { line.finish() }
}
