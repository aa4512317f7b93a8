internal import CDeviceCredentialOpenSSL
import DeviceCredentialLocking

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One connection to the TPM through OpenSSL's tpm2 provider, in its own `OSSL_LIB_CTX` next to the
/// `base` provider (encoders, decoders), never next to the default provider: loaded there it broke
/// signing with software keys.
///
/// A session lives for one operation. A simulator (swtpm) serves one connection at a time, so a
/// connection held between operations would block every other process using the TPM; and the
/// provider's ESYS context is not thread-safe, so one process-wide lock serialises the sessions. Keys
/// are `OpenSSLPrivateKey`s that never leave an operation, so each is freed inside the lock too.
final class TPMProviderSession {
    private static let lock = Locked<Void>(())
    private static let keyPairSelection = Int32(OSSL_KEYMGMT_SELECT_PRIVATE_KEY | OSSL_KEYMGMT_SELECT_PUBLIC_KEY)

    private let context: OpenSSLLibraryContext

    /// Runs `body` in a fresh session, with no other session of this process open meanwhile.
    /// - Parameter modulesDirectory: where to find `tpm2.so`; nil for OpenSSL's (or `$OPENSSL_MODULES`).
    static func withSession<Result: Sendable>(
        modulesDirectory: String?, _ body: (TPMProviderSession) throws -> Result
    ) throws -> Result {
        try lock.withLock { _ in
            let session = try TPMProviderSession(modulesDirectory: modulesDirectory)
            return try body(session)
        }
    }

    private init(modulesDirectory: String?) throws {
        let directory = modulesDirectory ?? Self.defaultModulesDirectory()
        guard access(directory + "/tpm2.so", R_OK) == 0 else {
            throw DeviceCredentialError(
                code: .tpmProviderMissing,
                message: "OpenSSL's tpm2 provider is not installed (no tpm2.so in \(directory)); "
                    + "install the Debian package tpm2-openssl")
        }
        context = try OpenSSLLibraryContext(
            providers: ["tpm2", "base"], modulesDirectory: modulesDirectory, propertyQuery: "provider=tpm2"
        ) { Self.failure($0, stage: .connecting) }
    }

    private static func defaultModulesDirectory() -> String {
        if let fromEnvironment = getenv("OPENSSL_MODULES"), fromEnvironment.pointee != 0 {
            return String(cString: fromEnvironment)
        }
        return OPENSSL_info(OPENSSL_INFO_MODULES_DIR).map { String(cString: $0) } ?? "/usr/lib/ossl-modules"
    }

    // MARK: Operations

    /// Generates a P-256 key inside the TPM, protected by `pin` when given, and returns its
    /// "TSS2 PRIVATE KEY" DER and the public key the provider reports for it.
    func generateP256(pin: SecretBytes?) throws -> (blob: [UInt8], publicKeyDER: [UInt8]) {
        let key = try OpenSSLPrivateKey.generateP256(
            in: context,
            configure: { keygen in
                guard let pin else { return }
                // The parameter keeps pointers to its name and value: both stay valid for the call.
                let accepted = "user-auth".withCString { name in
                    pin.withUnsafeBytes { bytes in
                        let value = UnsafeMutableRawPointer(mutating: bytes.baseAddress)?
                            .assumingMemoryBound(to: CChar.self)
                        var parameters = [
                            OSSL_PARAM_construct_utf8_string(name, value, bytes.count), OSSL_PARAM_construct_end(),
                        ]
                        return EVP_PKEY_CTX_set_params(keygen, &parameters)
                    }
                }
                guard accepted == 1 else { throw Self.failure("the TPM key cannot take a PIN", stage: .generating) }
            },
            failure: { Self.failure($0 + " in the TPM", stage: .generating) })
        return (try encodeBlob(key), try encodePublicKey(key))
    }

    /// Loads a "TSS2 PRIVATE KEY" into the TPM with `pin` and signs `message` with ECDSA over SHA-256.
    /// Returns the DER signature.
    func sign(_ message: [UInt8], blob: [UInt8], pin: SecretBytes?) throws -> [UInt8] {
        try decode(blob, pin: pin).sign(message) { Self.failure($0 + " with the TPM key", stage: .signing) }
    }

    /// The DER SubjectPublicKeyInfo of a stored key, as the provider encodes it after loading it.
    func publicKeyDER(blob: [UInt8], pin: SecretBytes?) throws -> [UInt8] {
        try encodePublicKey(try decode(blob, pin: pin))
    }

    // MARK: Encoding

    /// A C string in static storage. OpenSSL 3.0 keeps some strings it is given without copying them (an
    /// encoder's output type and structure, a decoder's input type), so a temporary Swift bridge would dangle.
    private static func cString(_ text: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    private func decode(_ blob: [UInt8], pin: SecretBytes?) throws -> OpenSSLPrivateKey {
        let key: OpaquePointer = try context.withUnsafeContext { libraryContext, propertyQuery in
            var key: OpaquePointer?
            guard
                let decoder = OSSL_DECODER_CTX_new_for_pkey(
                    &key, Self.cString("DER"), nil, Self.cString("EC"), Self.keyPairSelection, libraryContext,
                    propertyQuery)
            else { throw Self.failure("the tpm2 provider offers no TSS2 key decoder", stage: .loading) }
            defer { OSSL_DECODER_CTX_free(decoder) }
            if let pin {
                let accepted = pin.withUnsafeBytes { bytes in
                    OSSL_DECODER_CTX_set_passphrase(
                        decoder, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
                }
                guard accepted == 1 else { throw Self.failure("cannot pass the PIN to the TPM", stage: .loading) }
            }
            let decoded = blob.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                var remaining = buffer.count
                return OSSL_DECODER_from_data(decoder, &cursor, &remaining)
            }
            guard decoded == 1, let key else { throw Self.failure("the TPM cannot load this key", stage: .loading) }
            return key
        }
        return try OpenSSLPrivateKey(owning: key, context: context)
    }

    private func encodeBlob(_ key: OpenSSLPrivateKey) throws -> [UInt8] {
        try encode(key, structure: "PrivateKeyInfo", selection: Self.keyPairSelection)
    }

    private func encodePublicKey(_ key: OpenSSLPrivateKey) throws -> [UInt8] {
        try encode(key, structure: "SubjectPublicKeyInfo", selection: Int32(OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
    }

    private func encode(_ key: OpenSSLPrivateKey, structure: StaticString, selection: Int32) throws -> [UInt8] {
        try context.withUnsafeContext { _, propertyQuery in
            guard
                let encoder = key.withUnsafeKey({
                    OSSL_ENCODER_CTX_new_for_pkey(
                        $0, selection, Self.cString("DER"), Self.cString(structure), propertyQuery)
                })
            else {
                throw Self.failure("the tpm2 provider offers no \(structure) encoder", stage: .generating)
            }
            defer { OSSL_ENCODER_CTX_free(encoder) }
            var output: UnsafeMutablePointer<UInt8>?
            var length = 0
            guard OSSL_ENCODER_to_data(encoder, &output, &length) == 1, let output else {
                throw Self.failure("cannot encode the TPM key as \(structure)", stage: .generating)
            }
            defer { dc_openssl_free(output) }
            return Array(UnsafeBufferPointer(start: output, count: length))
        }
    }

    // MARK: Errors

    /// What a session was doing when OpenSSL failed: decides what an unclassified TPM error means.
    enum Stage { case connecting, generating, loading, signing }

    /// Turns the OpenSSL error queue after a failed call into a specific error. The tpm2 provider
    /// puts the TSS2 response code first in an error's data ("2446 tpm:session(1):..."); the code tells
    /// a wrong PIN from lockout from an unreachable TPM. The queue itself is drained by the one helper.
    private static func failure(_ what: String, stage: Stage) -> DeviceCredentialError {
        let responseCode = TPMResponseCode(firstIn: [Self.peekData(last: false), Self.peekData(last: true)])
        let code: DeviceCredentialError.Code
        var advice = ""
        switch responseCode?.meaning {
        case .lockout?:
            code = .tpmLockout
            advice =
                "; it refuses every key until it recovers (ask the administrator to run "
                + "tpm2_dictionarylockout --clear-lockout)"
        case .authorizationFailed?:
            code = .tpmAuthFailed
            advice = ": wrong PIN"
        case .transportFailed?:
            ERR_clear_error()
            return TPMDeviceDiagnosis.unreachable()
        case .other?, nil:
            switch stage {
            case .loading where responseCode != nil:
                code = .invalidKey
                advice = "; it was made by another TPM, or this TPM was cleared since"
            case .connecting where responseCode == nil:
                code = .tpmProviderMissing
                advice = "; reinstall the Debian package tpm2-openssl"
            case .connecting: code = .tpmUnavailable
            default: code = .cryptoFailure
            }
        }
        return DeviceCredentialError.openSSL(what + advice, code: code)
    }

    private static func peekData(last: Bool) -> String? {
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        let error =
            last
            ? ERR_peek_last_error_all(nil, nil, nil, &data, &flags) : ERR_peek_error_all(nil, nil, nil, &data, &flags)
        guard error != 0, let data else { return nil }
        return String(cString: data)
    }
}
