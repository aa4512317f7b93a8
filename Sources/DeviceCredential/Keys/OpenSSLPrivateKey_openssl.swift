internal import CDeviceCredentialOpenSSL

/// Owns one `EVP_PKEY` holding a P-256 private key, and the library context it was made in: the one
/// owner of every `EVP_PKEY` in the library, freed when the last reference goes.
///
/// The key may live in any `OSSL_LIB_CTX` (OpenSSL's default one for software keys, the tpm2
/// provider's own one for TPM keys, see `TPMProviderSession`); every operation fetches its algorithms
/// from that same context. Operations that fail throw `failure`'s error, made while OpenSSL's error
/// queue still says why (the TPM reads a wrong PIN or a lockout from it).
final class OpenSSLPrivateKey: @unchecked Sendable {
    // An EVP_PKEY is safe to use from several threads for signing once created.
    private let pointer: OpaquePointer
    let context: OpenSSLLibraryContext

    /// Takes ownership of `pointer`, a key created in `context`, after checking it is a P-256 key.
    init(owning pointer: OpaquePointer, context: OpenSSLLibraryContext) throws {
        self.pointer = pointer
        self.context = context
        guard EVP_PKEY_is_a(pointer, "EC") == 1, groupName == "prime256v1" || groupName == "P-256" else {
            throw DeviceCredentialError(code: .invalidKey, message: "the key is not a P-256 key")
        }
    }

    deinit { EVP_PKEY_free(pointer) }

    /// Generates a new P-256 key (EVP_EC_gen is a macro, so the keygen steps are spelled out).
    /// `configure` may set parameters on the `EVP_PKEY_CTX` before generation (a TPM key's PIN).
    static func generateP256(
        in context: OpenSSLLibraryContext = .default, configure: (OpaquePointer) throws -> Void = { _ in },
        failure: (_ what: String) -> DeviceCredentialError = { DeviceCredentialError.openSSL($0) }
    ) throws -> OpenSSLPrivateKey {
        let key: OpaquePointer = try context.withUnsafeContext { libraryContext, propertyQuery in
            guard let keygen = EVP_PKEY_CTX_new_from_name(libraryContext, "EC", propertyQuery) else {
                throw failure("no EC key generator")
            }
            defer { EVP_PKEY_CTX_free(keygen) }
            guard EVP_PKEY_keygen_init(keygen) == 1, EVP_PKEY_CTX_set_group_name(keygen, "P-256") == 1 else {
                throw failure("cannot set up P-256 key generation")
            }
            try configure(keygen)
            var generated: OpaquePointer?
            guard EVP_PKEY_generate(keygen, &generated) == 1, let generated else {
                throw failure("P-256 key generation failed")
            }
            return generated
        }
        return try OpenSSLPrivateKey(owning: key, context: context)
    }

    /// Runs `body` with the `EVP_PKEY *`, which stays owned by this object.
    func withUnsafeKey<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(pointer)
    }

    /// Parses a DER PKCS#8 PrivateKeyInfo.
    convenience init(pkcs8DER bytes: [UInt8], context: OpenSSLLibraryContext = .default) throws {
        let key: OpaquePointer = try context.withUnsafeContext { libraryContext, propertyQuery in
            try bytes.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                guard let key = d2i_AutoPrivateKey_ex(nil, &cursor, buffer.count, libraryContext, propertyQuery)
                else {
                    throw DeviceCredentialError.openSSL("the stored key is not a PKCS#8 private key", code: .invalidKey)
                }
                return key
            }
        }
        try self.init(owning: key, context: context)
    }

    /// The curve's name as OpenSSL reports it.
    private var groupName: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The DER SubjectPublicKeyInfo.
    func publicKeyDER() throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &output)
        guard length > 0, let output else { throw DeviceCredentialError.openSSL("cannot encode the public key") }
        defer { dc_openssl_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    /// The DER PKCS#8 PrivateKeyInfo, in a buffer that is wiped when released.
    func pkcs8DER() throws -> SecretBytes {
        guard let info = EVP_PKEY2PKCS8(pointer) else {
            throw DeviceCredentialError.openSSL("this key cannot be exported as PKCS#8", code: .invalidKey)
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &output)
        guard length > 0, let output else { throw DeviceCredentialError.openSSL("cannot encode the private key") }
        defer { dc_openssl_clear_free(output, Int(length)) }
        return SecretBytes(copying: UnsafeRawBufferPointer(start: output, count: Int(length)))
    }

    /// ECDSA over SHA-256 of `message`, DER encoded.
    func sign(
        _ message: [UInt8], failure: (_ what: String) -> DeviceCredentialError = { DeviceCredentialError.openSSL($0) }
    ) throws -> [UInt8] {
        guard let digestContext = EVP_MD_CTX_new() else { throw DeviceCredentialError.openSSL("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(digestContext) }
        return try context.withUnsafeContext { libraryContext, propertyQuery in
            guard
                EVP_DigestSignInit_ex(digestContext, nil, "SHA256", libraryContext, propertyQuery, pointer, nil) == 1
            else {
                throw failure("cannot start signing")
            }
            return try message.withUnsafeBufferPointer { input in
                var length = 0
                guard EVP_DigestSign(digestContext, nil, &length, input.baseAddress, input.count) == 1 else {
                    throw failure("cannot size the signature")
                }
                var signature = [UInt8](repeating: 0, count: length)
                guard EVP_DigestSign(digestContext, &signature, &length, input.baseAddress, input.count) == 1 else {
                    throw failure("signing failed")
                }
                return Array(signature.prefix(length))
            }
        }
    }
}
