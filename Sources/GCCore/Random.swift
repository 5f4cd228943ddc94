/// gcgap's seedable generator: xoshiro256** (Blackman & Vigna, 2018), its 256-bit state
/// filled by SplitMix64 from a 64-bit seed, as the authors recommend.
///
/// Streams: one run seed feeds several independent streams (initialisation, training data,
/// evaluation sets...). `Rng(seed:stream:)` mixes the stream's name into the seed with
/// FNV-1a, so "init" and "train" draws of seed 42 never overlap and adding a stream never
/// shifts another. The same seed and stream give the same numbers, bit for bit, on every
/// build and platform: only integer arithmetic is involved up to `uniform()`.
public struct Rng {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator from a raw 64-bit seed.
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
    }

    /// A generator for the named stream of a run seed.
    public init(seed: UInt64, stream: String) {
        self.init(seed: seed ^ Rng.fnv1a(stream))
    }

    /// FNV-1a, 64 bit, of the UTF-8 bytes of `text`.
    public static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }

    /// The next 64 random bits.
    @inline(__always) public mutating func next() -> UInt64 {
        let result = Rng.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Rng.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits (exactly representable as a Float).
    @inline(__always) public mutating func uniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always) public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [lo, hi).
    @inline(__always) public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * uniform()
    }

    /// An integer uniform in 0..<n (n > 0), without modulo bias (Lemire's method).
    /// Every call with n >= 1 consumes at least one draw (n = 1 included), so the streams of
    /// fixed-length batches stay as they are; n <= 0 gives 0 without drawing.
    public mutating func below(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// An integer uniform in the closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A standard normal draw (Box-Muller in Double, one draw per call).
    public mutating func normal() -> Float {
        var u1 = uniformDouble()
        while u1 <= 0 { u1 = uniformDouble() }
        let u2 = uniformDouble()
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A seed for a child generator (e.g. a per-batch seed).
    public mutating func childSeed() -> UInt64 { next() }
}

/// SplitMix64 (Steele, Lea & Flood, 2014), used to expand seeds.
public struct SplitMix64 {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
