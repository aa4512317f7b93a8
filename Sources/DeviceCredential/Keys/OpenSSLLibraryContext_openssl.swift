internal import CDeviceCredentialOpenSSL

/// Owns an `OSSL_LIB_CTX`: the set of providers OpenSSL fetches algorithms from.
///
/// Software keys use ``default`` (OpenSSL's default context). A hardware provider (tpm2) gets its
/// own context: loaded next to the default provider it broke signing with software keys.
final class OpenSSLLibraryContext: @unchecked Sendable {
    // OpenSSL library contexts are safe to share between threads once set up.
    private let pointer: OpaquePointer?
    private var providers: [OpaquePointer] = []
    /// Property query used for every fetch in this context (e.g. `provider=tpm2`), nil for none.
    let propertyQuery: String?

    /// OpenSSL's default library context.
    static let `default` = OpenSSLLibraryContext(pointer: nil, propertyQuery: nil)

    private init(pointer: OpaquePointer?, propertyQuery: String?) {
        self.pointer = pointer
        self.propertyQuery = propertyQuery
    }

    /// A new, empty library context with the named providers loaded (e.g. `["tpm2", "base"]`), found in
    /// `modulesDirectory` (nil: OpenSSL's own, or `$OPENSSL_MODULES`). A provider that does not load
    /// throws `failure`'s error, made while OpenSSL's error queue still says why.
    init(
        providers names: [String], modulesDirectory: String?, propertyQuery: String?,
        failure: (_ what: String) -> DeviceCredentialError
    ) throws {
        guard let context = OSSL_LIB_CTX_new() else { throw DeviceCredentialError.openSSL("OSSL_LIB_CTX_new failed") }
        self.pointer = context
        self.propertyQuery = propertyQuery
        if let modulesDirectory { OSSL_PROVIDER_set_default_search_path(context, modulesDirectory) }
        for name in names {
            // A throw from here on runs deinit (self is initialised), which unloads what loaded.
            guard let provider = OSSL_PROVIDER_load(context, name) else {
                throw failure("cannot load the OpenSSL provider \(name)")
            }
            providers.append(provider)
        }
    }

    deinit {
        for provider in providers.reversed() { OSSL_PROVIDER_unload(provider) }
        if let pointer { OSSL_LIB_CTX_free(pointer) }
    }

    /// Runs `body` with the `OSSL_LIB_CTX *` (nil for the default context) and the property query.
    func withUnsafeContext<Result>(
        _ body: (OpaquePointer?, UnsafePointer<CChar>?) throws -> Result
    ) rethrows -> Result {
        if let propertyQuery {
            return try propertyQuery.withCString { try body(pointer, $0) }
        }
        return try body(pointer, nil)
    }
}
