/// The task library: the paper's two tasks and five more, each with its own vocabulary.
///
/// Every task keeps the sample layout `START x SEP y END` and the length axis: a task is
/// trained on short inputs and its out-of-distribution (OOD) set is longer ones, so the same
/// analysis runs on each. Where a task's length means something else (induction: the number
/// of distinct tokens before the query) its doc comment says so.
extension AlgorithmicTask {
    /// The library's tasks by name, in the order the docs list them.
    public static let library: [(name: String, make: () -> AlgorithmicTask)] = [
        ("reverse", reverse), ("sort", sort), ("copy", copy), ("modadd", modularAddition),
        ("histogram", histogram), ("brackets", brackets), ("induction", induction),
    ]

    /// A library task by name, or nil.
    public static func named(_ name: String) -> AlgorithmicTask? {
        library.first { $0.name == name }?.make()
    }

    /// Copying: y = x, values 1..99 (attention at a fixed offset, the length apart).
    public static func copy() -> AlgorithmicTask { AlgorithmicTask(name: "copy") { $0 } }

    /// Modular addition, as running sums: x is n digits 0..9 and y_i = (x_1 + ... + x_i) mod 10.
    /// Each output needs the one before it and one input: a carried state, not a lookup.
    public static func modularAddition() -> AlgorithmicTask {
        AlgorithmicTask(name: "modadd", values: 0...9) { x in
            var s: Int32 = 0
            return x.map { s = (s + $0) % 10; return s }
        }
    }

    /// Histogram (counting): x is n values 1..10 and y_i is how many times x_i occurs in x
    /// (1..n): every output attends to all equal inputs.
    public static func histogram() -> AlgorithmicTask {
        AlgorithmicTask(name: "histogram", values: 1...10) { x in
            x.map { v in Int32(x.lazy.filter { $0 == v }.count) }
        }
    }

    /// Balanced brackets (Dyck-1 depth): x is a prefix of a balanced string, 1 = "(" and
    /// 2 = ")", drawn as a random walk that never goes below depth 0; y_i is the depth after
    /// x_i, written as the token 10 + depth.
    public static func brackets() -> AlgorithmicTask {
        AlgorithmicTask(name: "brackets", values: 1...2, sampler: { n, rng in
            var depth = 0
            return (0..<n).map { _ in
                let open = depth == 0 || rng.below(2) == 0
                depth += open ? 1 : -1
                return open ? 1 : 2
            }
        }, target: { x in
            var depth: Int32 = 0
            return x.map { depth += $0 == 1 ? 1 : -1; return 10 + depth }
        })
    }

    /// Induction (repeated random tokens, as in TransformerLens' induction demos): x is n
    /// distinct random tokens 1..99 and y repeats them. Every token occurs once in x, so the
    /// model can find the current token's earlier occurrence and copy its successor: the
    /// known induction circuit (a previous-token head writes "my predecessor was A" into B's
    /// position; an induction head at the repeated A attends there and copies B). `copy`
    /// draws with replacement, where that lookup is ambiguous.
    public static func induction() -> AlgorithmicTask {
        AlgorithmicTask(name: "induction", values: 1...99, sampler: { n, rng in
            guard n <= 99 else { throw GCError("task 'induction': at most 99 distinct tokens, got \(n)") }
            var pool = Array(Int32(1)...Int32(99))
            for i in 0..<n { pool.swapAt(i, i + rng.below(pool.count - i)) }
            return Array(pool[0..<n])
        }, target: { $0 })
    }
}
