import Testing
import DNSModel

/// Name comparisons the core relies on, written allocation-free: canonical order (RFC 4034 §6.1)
/// and subdomain tests on label boundaries, case-insensitive (RFC 4343).
struct DomainNameTests {
    @Test("canonical order: the RFC 4034 §6.1 example")
    func canonicalOrder() {
        // RFC 4034 §6.1 lists these in canonical order (\001 and \200 written as escapes there).
        let ordered: [DomainName] = [
            "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
            "z.example.", DomainName(uncheckedWire: [1, 0x01, 1, 0x7A] + Array("\u{7}example".utf8) + [0]),
            "*.z.example.", DomainName(uncheckedWire: [1, 0xC8, 1, 0x7A] + Array("\u{7}example".utf8) + [0]),
        ]
        for i in ordered.indices {
            for j in ordered.indices {
                #expect((ordered[i] < ordered[j]) == (i < j), "\(ordered[i]) < \(ordered[j])")
            }
        }
        #expect(ordered.reversed().sorted() == ordered)
    }

    @Test("subdomains: label boundaries and case")
    func subdomains() {
        let name: DomainName = "Web-0.WEB.default.svc.cluster.local."
        #expect(name.isSubdomain(of: "web.default.svc.cluster.local."))
        #expect(name.isSubdomain(of: name))
        #expect(name.isSubdomain(of: .root))
        #expect(!name.isSubdomain(of: "eb.default.svc.cluster.local."))     // not on a label boundary
        #expect(!name.isSubdomain(of: "api.default.svc.cluster.local."))
        #expect(!DomainName("svc.cluster.local.").isSubdomain(of: name))
        #expect(name.wireOffset(ofLabel: 0) == 0 && name.wireOffset(ofLabel: 1) == 6)
        #expect(name.wireOffset(ofLabel: name.labelCount) == name.wire.count - 1)
        #expect(name.wireOffset(ofLabel: name.labelCount + 1) == nil)
    }
}
