/// The device-API namespace a credential lives in: the path segment after `/client/user-authenticators/`.
public struct DeviceNamespace: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The path segment, e.g. `push`.
    public var rawValue: String

    /// Creates a namespace from its path segment.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Push credentials (the official mobile SDKs' `push` namespace): the default.
    public static let push = DeviceNamespace(rawValue: "push")
    /// The 2025 legacy `device` namespace (same shapes).
    public static let device = DeviceNamespace(rawValue: "device")

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
