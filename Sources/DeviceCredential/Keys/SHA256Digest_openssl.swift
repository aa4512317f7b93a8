internal import CDeviceCredentialOpenSSL

/// SHA-256 through OpenSSL's one-shot digest.
enum SHA256Digest {
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1, "SHA-256 is always available in OpenSSL's default provider")
        return Array(digest.prefix(Int(length)))
    }
}
