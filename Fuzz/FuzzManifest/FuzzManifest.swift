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
import FuzzSupport
/// Without libFuzzer: replays corpus files or directories given as arguments.
@main struct Replay {
    static func main() throws { try replayCorpus(Array(CommandLine.arguments.dropFirst()), into: fuzzManifest) }
}
#endif
