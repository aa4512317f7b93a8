/// The device-API namespace a credential lives in: the path segment after `/client/user-authenticators/`.
/// Codable as its raw string (the standard library's `RawRepresentable` coding).
public struct DeviceNamespace: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The path segment, e.g. `push`.
    public var rawValue: String

    /// Creates a namespace from its path segment.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Push credentials (the official mobile SDKs' `push` namespace): the default.
    public static let push = DeviceNamespace(rawValue: "push")
    /// QR-code credentials (the SDKs' `qr` namespace): claim and answer a challenge a browser shows as a QR code.
    public static let qrCode = DeviceNamespace(rawValue: "qr-code")
    /// In-app credentials (the SDKs' `inapp` namespace): prove to an app's backend that it runs on this machine.
    public static let inApp = DeviceNamespace(rawValue: "in-app")
    /// The 2025 legacy `device` namespace (same shapes).
    public static let device = DeviceNamespace(rawValue: "device")

    public var description: String { rawValue }
}
