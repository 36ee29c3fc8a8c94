import Testing
import DNSModel

/// `Duration` in nanoseconds and seconds, as the timeouts, rate limits and histograms take it.
struct DurationUnitsTests {
    @Test("whole nanoseconds: exact, truncated below a nanosecond, saturated past Int64")
    func nanoseconds() {
        #expect(Duration.seconds(3).wholeNanoseconds == 3_000_000_000)
        #expect(Duration.milliseconds(1500).wholeNanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(7).wholeNanoseconds == 7)
        #expect(Duration.nanoseconds(-7).wholeNanoseconds == -7)
        #expect((Duration.nanoseconds(7) + .init(secondsComponent: 0, attosecondsComponent: 999_999_999)).wholeNanoseconds == 7)
        #expect(Duration.seconds(Int64.max / 1_000_000_000 + 1).wholeNanoseconds == .max)
        #expect(Duration.seconds(Int64.min / 1_000_000_000 - 1).wholeNanoseconds == .min)
    }

    @Test("seconds as a Double, to the attosecond's precision of a Double")
    func seconds() {
        #expect(Duration.milliseconds(250).inSeconds == 0.25)
        #expect(Duration.seconds(90).inSeconds == 90)
        #expect(abs(Duration.microseconds(-1).inSeconds + 1e-6) < 1e-15)
    }
}
