import Testing
import DNSModel
@testable import DNSWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `$INCLUDE` (RFC 1035 §5.1) in zone files read from disk.
@Suite struct ZoneFileIncludeTests {
    /// Writes `files` (name → text) into a fresh directory; returns its path.
    static func directory(_ files: [String: String]) throws -> String {
        let dir = "/tmp/dnswire-include-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        for (name, text) in files {
            let file = try #require(fopen(dir + "/" + name, "w"))
            _ = text.withCString { fputs($0, file) }
            fclose(file)
        }
        return dir
    }

    static func remove(_ dir: String, _ names: [String]) {
        for name in names { unlink(dir + "/" + name) }
        rmdir(dir)
    }

    @Test("a file relative to the includer, with its own origin or the current one; the includer's origin unchanged after it; a quoted name; $TTL carried into it")
    func include() throws {
        let files = [
            "example.zone": """
                $ORIGIN example.
                $TTL 300
                @ 60 IN SOA ns h 1 2 3 4 5
                $INCLUDE hosts.inc sub ; comment
                after 60 IN A 192.0.2.9
                $INCLUDE "hosts.inc"
                $ORIGIN lab.example.
                $INCLUDE hosts.inc
                """,
            "hosts.inc": "; hosts\nwww 60 IN A 192.0.2.1\nmail IN A 192.0.2.2\n",
        ]
        let dir = try Self.directory(files)
        defer { Self.remove(dir, Array(files.keys)) }
        let records = try ZoneFile.load(path: dir + "/example.zone", origin: nil)
        #expect(records.map(\.name.description) == ["example.", "www.sub.example.", "mail.sub.example.", "after.example.",
                                                     "www.example.", "mail.example.", "www.lab.example.", "mail.lab.example."])
        #expect(records.first?.type == .soa)
        // Under `$TTL`, a record without a TTL takes the directive's, not the previous record's.
        #expect(records.filter { $0.name.description.hasPrefix("mail.") }.map(\.ttl) == [300, 300, 300])
    }

    @Test("errors name the included file and its line; a missing file, no file name, a file including itself (depth limit), and text, which has no directory")
    func includeErrors() throws {
        let files = [
            "bad.zone": "$ORIGIN example.\n$INCLUDE broken.inc\n",
            "broken.inc": "ok 60 IN A 192.0.2.1\nbad 60 IN A 192.0.2.999\n",
            "self.zone": "$ORIGIN example.\n$INCLUDE self.zone\n",
            "missing.zone": "$INCLUDE nothing.inc\n",
            "noarg.zone": "$INCLUDE\n",
        ]
        let dir = try Self.directory(files)
        defer { Self.remove(dir, Array(files.keys)) }
        for (file, expected, line) in [("bad.zone", dir + "/broken.inc", 2), ("self.zone", "nested deeper than 8", 2),
                                       ("missing.zone", "nothing.inc: cannot open", nil), ("noarg.zone", "takes a file name", 1)] {
            do {
                _ = try ZoneFile.load(path: dir + "/" + file, origin: "example")
                Issue.record("no error for \(file)")
            } catch {
                #expect(error.message.contains(expected), "\(file): \(error)")
                if let line { #expect(error.line == line, "\(file): \(error)") }
            }
        }
        #expect(throws: WireError.self) { try ZoneFile.parse("$INCLUDE hosts.inc\n", origin: "example") }
    }
}
