public import Crypto
public import Foundation

/// A device for tests and benchmarks: a swift-crypto P-256 key encoded exactly as PROTOCOL.md §2 says,
/// written independently of the DeviceCredential library.
public struct TestDevice: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    public init(privateKey: P256.Signing.PrivateKey = .init()) { self.privateKey = privateKey }

    /// Standard padded base64 of the 91-byte DER SubjectPublicKeyInfo (JSON bodies).
    public var publicKey: String { privateKey.publicKey.derRepresentation.base64EncodedString() }

    /// `?publicKey=`: base64url without padding of the UTF-8 bytes of `publicKey`.
    public var publicKeyQuery: String {
        Data(publicKey.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Standard base64 of the DER ECDSA signature over SHA-256 of the UTF-8 bytes of `message`.
    public func signature(for message: String) -> String {
        try! privateKey.signature(for: Data(message.utf8)).derRepresentation.base64EncodedString()
    }

    /// The remove-credential message: the 10-minute window rendered as a Double, e.g. `2993192.0`.
    public static func removalWindow(at date: Date, offset: Double = 0) -> String {
        String((date.timeIntervalSince1970 / 600).rounded(.down) + offset)
    }
}
