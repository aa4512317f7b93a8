internal import CDeviceCredentialMalloc

/// What this process holds in memory right now.
struct MemoryReading {
    /// Bytes handed out by malloc and not yet freed (all arenas and mmapped blocks): exact, unlike
    /// the resident set, which also counts freed memory the allocator keeps and page rounding.
    var heapBytes: Int
    /// The resident set (`VmRSS`), in kB.
    var residentKilobytes: Int

    static func now() -> MemoryReading {
        let info = mallinfo2()
        return MemoryReading(heapBytes: Int(info.uordblks + info.hblkhd), residentKilobytes: residentSetKilobytes())
    }

    /// `VmRSS` from /proc/self/status.
    private static func residentSetKilobytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmRSS:") else { continue }
            return text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        }
        return 0
    }
}
