/// The device-API namespace a credential lives in: the path segment after `/client/user-authenticators/`.
/// Codable as its raw string (the standard library's `RawRepresentable` coding).
public struct DeviceNamespace: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The path segment, e.g. `push`.
    public var rawValue: String

    /// Creates a namespace from its path segment.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Push credentials (the official mobile SDKs' `push` namespace): the default.
    public static let push = DeviceNamespace(rawValue: "push")
    /// The 2025 legacy `device` namespace (same shapes).
    public static let device = DeviceNamespace(rawValue: "device")

    public var description: String { rawValue }
}
