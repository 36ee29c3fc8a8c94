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
    guard let again = try? ZoneFile.parse(rendered, origin: nil) else {
        preconditionFailure("rendered zone does not parse:\n\(rendered)")
    }
    precondition(Set(again) == Set(records), "render → parse changed the records")
    return 0
}

#if !FUZZING
/// Without libFuzzer: replays corpus files given as arguments.
@main struct Replay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let files = isDir.boolValue
                ? (try FileManager.default.contentsOfDirectory(atPath: path)).map { path + "/" + $0 } : [path]
            for file in files {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                _ = bytes.withUnsafeBufferPointer { fuzzZone($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
