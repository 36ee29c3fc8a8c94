import Foundation

/// Feeds every file named in `arguments` (files, or directories of files) to `target`, the same
/// entry point libFuzzer calls: a plain build of a harness is a corpus replayer, so past crashes
/// stay regression cases. Returns how many inputs ran.
@discardableResult
public func replayCorpus(_ arguments: [String], into target: (UnsafePointer<UInt8>?, Int) -> CInt) throws -> Int {
    var count = 0
    for path in arguments {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let files = isDirectory.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            _ = bytes.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
            count += 1
        }
    }
    print("replayed \(count) inputs")
    return count
}
