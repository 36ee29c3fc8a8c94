// libFuzzer target: zone-file text → ZoneFile.parse (ldns, RR by RR) → render → parse again.
// Must never trap or leak (run with ASan); what parses must render to text that parses to the same set.
import Foundation
import DNSModel
import DNSWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZone(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size < 65536 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let records = try? ZoneFile.parse(text, origin: "example.test.") else { return 0 }
    let rendered = ZoneFile.render(records)
    // The round trip is required for host-name-like names (letters, digits, '-', '_', '*'): the
    // only names a cluster zone export contains. Names with other bytes are written with \DDD
    // escapes that ldns 1.8.3 does not always read back; for them, parsing and rendering must
    // merely not crash or leak.
    guard records.allSatisfy({ hostLike($0.name) && hostLike(targets($0)) }) else { return 0 }
    guard let again = try? ZoneFile.parse(rendered, origin: nil) else {
        preconditionFailure("rendered zone does not parse:\n\(rendered)")
    }
    precondition(Set(again) == Set(records), "render → parse changed the records")
    return 0
}

/// True when every label byte is a letter, digit, '-', '_' or '*'.
func hostLike(_ names: [DomainName]) -> Bool { names.allSatisfy(hostLike) }
func hostLike(_ name: DomainName) -> Bool {
    name.labelBytes.allSatisfy { $0.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2A
    } }
}
/// The domain names inside a record's data.
func targets(_ rr: ResourceRecord) -> [DomainName] {
    switch rr.data {
    case .ns(let n), .cname(let n), .ptr(let n): [n]
    case .mx(_, let n): [n]
    case .srv(let s): [s.target]
    case .soa(let s): [s.mname, s.rname]
    default: []
    }
}

#if !FUZZING
import FuzzSupport
/// Without libFuzzer: replays corpus files or directories given as arguments.
@main struct Replay {
    static func main() throws { try replayCorpus(Array(CommandLine.arguments.dropFirst()), into: fuzzZone) }
}
#endif
