internal import CDeviceCredentialOpenSSL

/// Bytes of secret key material, wiped with `OPENSSL_cleanse` when the last reference goes away.
final class SecretBytes: @unchecked Sendable {
    // Immutable after init; only read through withUnsafeBytes.
    private let storage: UnsafeMutableRawBufferPointer

    init(copying bytes: UnsafeRawBufferPointer) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        storage.copyMemory(from: bytes)
        count = bytes.count
    }

    static func copying(_ bytes: [UInt8]) -> SecretBytes {
        bytes.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    let count: Int

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<count]))
    }
}
