import CKernels

/// Adam (Kingma & Ba), exactly as PyTorch's `torch.optim.Adam` (non-fused, no amsgrad):
///     m = β1·m + (1-β1)·g ;  v = β2·v + (1-β2)·g²
///     p -= (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + eps)
/// with optional L2 weight decay added to the gradient (PyTorch's `weight_decay`).
public final class Adam {
    public var lr: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public private(set) var step = 0
    /// false: the plain Swift loop (the reference the C kernel is tested against).
    var useKernel = true
    private let m: FloatBuffer
    private let v: FloatBuffer
    private let count: Int

    public init(parameterCount: Int, lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0) {
        self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        count = parameterCount
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
    }

    /// The moments and the step count, to checkpoint a training run.
    public var state: (step: Int, m: [Float], v: [Float]) {
        (step, Array(UnsafeBufferPointer(start: m.pointer, count: count)), Array(UnsafeBufferPointer(start: v.pointer, count: count)))
    }

    /// Restores a checkpointed state (moments of `parameterCount` entries each).
    public func restore(step: Int, m mv: [Float], v vv: [Float]) throws {
        guard mv.count == count, vv.count == count, step >= 0 else { throw GCError("the optimizer state does not fit this model") }
        self.step = step
        m.pointer.update(from: mv, count: count)
        v.pointer.update(from: vv, count: count)
    }

    /// One update of `params` from `grads` (both `parameterCount` long).
    public func update(_ params: UnsafeMutablePointer<Float>, _ grads: UnsafePointer<Float>) {
        step += 1
        let bc1 = 1 - Float(_pow(Double(beta1), Double(step)))
        let bc2 = 1 - Float(_pow(Double(beta2), Double(step)))
        let stepSize = lr / bc1
        let bc2Sqrt = bc2.squareRoot()
        let mp = m.pointer, vp = v.pointer
        if useKernel && BLAS.elementwiseKernels {
            // CKernels' loop: the same operations in the same order, 8 lanes with AVX2
            gck_adam(params, grads, mp, vp, count, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt)
            return
        }
        let (b1, b2, e, wd) = (beta1, beta2, eps, weightDecay)
        for i in 0..<count {
            var gi = grads[i]
            if wd != 0 { gi += wd * params[i] }
            mp[i] = b1 * mp[i] + (1 - b1) * gi
            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
            let denom = vp[i].squareRoot() / bc2Sqrt + e
            params[i] -= stepSize * mp[i] / denom
        }
    }
}
