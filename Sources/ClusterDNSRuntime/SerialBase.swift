import Foundation
import ClusterDNS

extension ClusterZone {
    /// The SOA serial base for a zone served or exported now: the Unix time, so that the serial
    /// (base + generation) of a later run or export does not fall back (RFC 1982: a secondary
    /// keeps a copy whose serial looks newer).
    public static var serialBaseNow: UInt32 {
        UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
    }
}
