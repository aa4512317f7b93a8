internal import CDeviceCredentialFuzzer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs libFuzzer on `target` with `arguments` (libFuzzer's own: a corpus directory, `-max_total_time=60`...).
enum LibFuzzerDriver {
    /// The target the C callback calls: set once, before the driver starts, and only read after.
    nonisolated(unsafe) private static var current: FuzzTarget?

    static func run(_ target: FuzzTarget, program: String, arguments: [String]) -> Int32 {
        current = target
        var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        var argc = Int32(argv.count - 1)
        return argv.withUnsafeMutableBufferPointer { buffer in
            var pointer = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &pointer) { data, size in
                let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                _ = try? LibFuzzerDriver.current?.body(bytes)
                return 0
            }
        }
    }
}
