#if canImport(Glibc)
import Glibc
#endif

/// Process memory housekeeping.
enum Memory {
    /// Returns freed heap pages to the system (glibc `malloc_trim`). Decoding large manifests leaves
    /// the parser's freed buffers in malloc's arenas; trimming makes the resident size reflect the
    /// store rather than the parse. Looked up at run time: not every libc has it.
    static func trim() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
