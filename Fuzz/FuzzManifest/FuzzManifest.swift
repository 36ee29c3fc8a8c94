// libFuzzer target: manifest bytes (YAML or JSON) → ManifestDecoder → store. Must never trap;
// what decodes must apply to a store and encode back to JSON.
import Foundation
import ClusterModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let contents = try? ManifestDecoder.decode(bytes, source: "fuzz") else { return 0 }
    let store = ClusterStore()
    let snapshot = store.replace(source: "fuzz", with: contents.objects)
    precondition(snapshot.services.count <= contents.objects.count, "more services than objects")
    for object in contents.objects {
        precondition((try? JSONEncoder().encode(object)) != nil, "decoded object does not encode")
    }
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
                _ = bytes.withUnsafeBufferPointer { fuzzManifest($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
