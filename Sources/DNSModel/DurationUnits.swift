/// `Duration` in the units the system calls take. Written once here, so that no call site splits
/// `components` into seconds and attoseconds by hand.
extension Duration {
    /// The duration in whole nanoseconds (truncated toward zero; saturates at the bounds of `Int64`).
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, carry) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (product < 0 ? .min : .max) : sum
    }

    /// The duration in seconds, as a floating-point number.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
