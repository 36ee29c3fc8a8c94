import Testing
import DNSModel
@testable import DNSWire
@Test func zexplore() {
    let cases = [
        "a 1 IN A 1.2.3.4\nb 1 IN A 1.2.3.999\nc 1 IN A 1.2.3.4\n",
        "a 1 IN A 1.2.3.4\nb 1 IN A 1.2.3.999",
        "; c\n\n@ IN SOA ns h (\n 1\n 2\n 3\n 4\n x )\nc 1 IN A 1.2.3.4\n",
        "@ IN SOA ns h (\n 1\n 2\n 3\n 4\n 5 )\nc 1 IN A 1.2.3.4\n\n\nd IN BOGUS 1\n",
        "$TTL abc\na A 1.2.3.4\n",
        "$ORIGIN\na A 1.2.3.4\n",
        "$INCLUDE /etc/passwd\n",
        "a 1 IN A 1.2.3.4\n(\n",
        "a 1 IN A 1.2.3.4\na ( 1 IN A\n",
        "a 1 IN A 1.2.3.4\n  2 IN A 1.2.3.5\n",
        "",
        "a 1 IN A 1.2.3.4\nb 1 IN SOA ns h 1 2 3 4 5\nc 1 IN SOA ns h 1 2 3 4 5\n",
    ]
    for c in cases {
        do { print("OK", try ZoneFile.parse(c, origin: "ex").map(\.presentation)) } catch { print("ERR", error) }
    }
}
