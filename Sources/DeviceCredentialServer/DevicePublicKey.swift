import Crypto
import Foundation

/// A device's P-256 public key as the wire carries it, verified with swift-crypto only.
struct DevicePublicKey: Sendable {
    /// Standard padded base64 of the 91-byte DER SubjectPublicKeyInfo: the credential's handle.
    let canonical: String
    private let key: P256.Signing.PublicKey

    /// From a JSON body's `publicKey`.
    init(bodyValue: String) throws(APIError) {
        guard let der = Data(base64Encoded: bodyValue), der.count == 91,
            let key = try? P256.Signing.PublicKey(derRepresentation: der)
        else {
            throw .invalidRequest("publicKey must be the standard base64 of a P-256 SubjectPublicKeyInfo")
        }
        self.key = key
        self.canonical = der.base64EncodedString()
    }

    /// From `?publicKey=`: base64url of the base64 string (the SDKs' form), standard base64 of it with `+`
    /// possibly turned into a space, or the plain base64 key itself.
    init(queryValue: String) throws(APIError) {
        let value = queryValue.replacingOccurrences(of: " ", with: "+")
        if value.hasPrefix("MFkw"), let key = try? DevicePublicKey(bodyValue: value) {
            self = key
            return
        }
        guard let inner = Base64.decodeLenient(value), let text = String(data: inner, encoding: .utf8) else {
            throw .invalidRequest("the publicKey query parameter is not base64 of a public key")
        }
        try self.init(bodyValue: text)
    }

    /// Checks a standard-base64 DER ECDSA signature over SHA-256 of the UTF-8 bytes of `message`.
    func isValidSignature(_ base64Signature: String, for message: String) -> Bool {
        guard let der = Data(base64Encoded: base64Signature),
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: der)
        else { return false }
        return key.isValidSignature(signature, for: Data(message.utf8))
    }
}
