internal import CDeviceCredentialOpenSSL

extension DevicePublicKey {
    /// Whether `signature` is a valid ECDSA P-256 SHA-256 signature of `message` by this key.
    public func isValidSignature(_ signature: DeviceSignature, for message: [UInt8]) -> Bool {
        let key: OpaquePointer? = derRepresentation.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let digestContext = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(digestContext) }
        guard EVP_DigestVerifyInit_ex(digestContext, nil, "SHA256", nil, nil, key, nil) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = signature.derRepresentation.withUnsafeBufferPointer { signatureBytes in
            message.withUnsafeBufferPointer { messageBytes in
                EVP_DigestVerify(
                    digestContext, signatureBytes.baseAddress, signatureBytes.count, messageBytes.baseAddress,
                    messageBytes.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// Whether `signature` is valid for the UTF-8 bytes of `message`.
    public func isValidSignature(_ signature: DeviceSignature, for message: String) -> Bool {
        isValidSignature(signature, for: Array(message.utf8))
    }
}
