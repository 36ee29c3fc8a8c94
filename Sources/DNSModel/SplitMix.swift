/// A small, fast, seedable generator (SplitMix64, Steele, Lea and Flood 2014): a random test
/// replays identically from its seed, and a load generator draws a number without the system
/// generator's getrandom(2) call. Not for anything that must be unpredictable.
package struct SplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    package init(seed: UInt64) { state = seed }

    /// The next number of the sequence.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
