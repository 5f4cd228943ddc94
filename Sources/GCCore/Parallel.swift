import Dispatch
import Foundation

/// Threads for the analysis's independent passes: G's batches and C's ablations are each
/// computed alone, on their own copy of the model, and combined in their own order, so every
/// thread count gives the same bits. Training is one chain of steps and stays on one thread.
public enum Parallelism {
    /// How many threads an analysis may use (1...256). Default 1; the command line sets it
    /// from GCGAP_THREADS, or to the machine's processor count.
    nonisolated(unsafe) public static var threads = 1

    /// The machine's processor count (what the command line uses without GCGAP_THREADS).
    public static var processors: Int { ProcessInfo.processInfo.activeProcessorCount }
}

enum Parallel {
    /// `work(model, i)` for i in 0..<count, on up to `Parallelism.threads` threads: the first
    /// works on `model`, each other one on a copy of it (`Transformer.helpers`: parameters
    /// only; a model with hooks of its own runs everything on one thread, on itself).
    /// Results come back in index order, whichever thread computed them. `shouldStop` is asked before each item (one
    /// thread at a time); once it says yes no new item starts, and the call throws
    /// `GCError.interrupted`. The first error thrown by `work` is rethrown.
    static func map<R>(_ count: Int, model: Transformer, shouldStop: () -> Bool = { false },
                       _ work: (Transformer, Int) throws -> R) throws -> [R] {
        let workers = model.hookCount > 0 ? 1 : max(1, min(Parallelism.threads, count))
        if workers == 1 {
            var out: [R] = []
            out.reserveCapacity(count)
            for i in 0..<count {
                if shouldStop() { throw GCError.interrupted }
                out.append(try work(model, i))
            }
            return out
        }
        let models = try [model] + model.helpers(workers - 1)
        let lock = NSLock()
        var next = 0, stopped = false, firstError: Error? = nil
        var perWorker = [[(Int, R)]](repeating: [], count: workers)
        perWorker.withUnsafeMutableBufferPointer { slots in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var mine: [(Int, R)] = []
                while true {
                    lock.lock()
                    if !stopped && firstError == nil && shouldStop() { stopped = true }
                    let i = next
                    next += 1
                    let go = i < count && !stopped && firstError == nil
                    lock.unlock()
                    guard go else { break }
                    do { mine.append((i, try work(models[w], i))) } catch {
                        lock.lock()
                        if firstError == nil { firstError = error }
                        lock.unlock()
                        break
                    }
                }
                slots[w] = mine
            }
        }
        if let e = firstError { throw e }
        if stopped { throw GCError.interrupted }
        var out = [R?](repeating: nil, count: count)
        for list in perWorker { for (i, r) in list { out[i] = r } }
        return out.map { $0! }
    }
}

extension Transformer {
    /// `n` copies of this model for other threads, with its current parameters and no hooks.
    /// They are kept and reused from call to call (their workspaces stay grown, which spares
    /// each call the allocation of a pass's buffers); the parameters are copied in each time.
    func helpers(_ n: Int) throws -> [Transformer] {
        while helperModels.count < n { helperModels.append(try Transformer(config: config)) }
        let list = Array(helperModels.prefix(n))
        for h in list {
            h.parameters.pointer.update(from: parameters.pointer, count: parameterCount)
            h.seed = seed
        }
        return list
    }
}
