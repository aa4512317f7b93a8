/// One enrollment's non-secret settings. A user can have several (different tenants, users or
/// services); each has its own key in its own store, looked up by ``name``.
public struct DeviceProfile: Hashable, Sendable, Codable {
    /// The profile's name: letters, digits, `.`, `_`, `-`; at most 64; not starting with `.`.
    public var name: String
    /// The API base URL including `/v1`, e.g. `https://api.authsignal.com/v1`.
    public var apiURL: String
    /// The tenant id (sent as Basic auth on device calls).
    public var tenantID: String
    /// The device-API namespace.
    public var namespace: DeviceNamespace
    /// The name the credential is enrolled under, shown to the user in their list of devices.
    public var deviceName: String?
    /// Sent as `devicePlatform` on enrollment.
    public var devicePlatform: String
    /// Where the private key lives.
    public var keyStore: KeyStoreKind
    /// What kind of key the profile holds.
    public var keyKind: DeviceKeyKind
    /// Whether challenges for this profile use number matching (the approver types a code).
    public var usesNumberMatching: Bool
    /// The service's id for the credential, recorded after enrollment (informational).
    public var userAuthenticatorID: String?
    /// The user the credential belongs to, recorded after enrollment (informational).
    public var userID: String?

    /// The profile used when none is named.
    public static let defaultName = "default"
    /// The platform sent when none is configured.
    public static let defaultDevicePlatform = "linux"

    /// Creates a profile. Throws `invalid_configuration` for a bad name or API URL.
    public init(
        name: String = DeviceProfile.defaultName,
        apiURL: String,
        tenantID: String,
        namespace: DeviceNamespace = .push,
        deviceName: String? = nil,
        devicePlatform: String = DeviceProfile.defaultDevicePlatform,
        keyStore: KeyStoreKind = .secretService,
        keyKind: DeviceKeyKind = .software,
        usesNumberMatching: Bool = false
    ) throws {
        try Self.validate(name: name)
        _ = try APIURL(apiURL)
        guard !tenantID.isEmpty else {
            throw DeviceCredentialError(code: .invalidConfiguration, message: "the tenant id is empty")
        }
        self.name = name
        self.apiURL = apiURL
        self.tenantID = tenantID
        self.namespace = namespace
        self.deviceName = deviceName
        self.devicePlatform = devicePlatform
        self.keyStore = keyStore
        self.keyKind = keyKind
        self.usesNumberMatching = usesNumberMatching
    }

    /// The description a key store records next to this profile's key.
    public var keyStoreItem: KeyStoreItem {
        KeyStoreItem(profile: name, tenantID: tenantID, apiURL: apiURL, namespace: namespace)
    }

    /// Throws `invalid_configuration` unless `name` is a usable profile name (it becomes a file name).
    public static func validate(name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard allowed, !name.isEmpty, name.utf8.count <= 64, !name.hasPrefix(".") else {
            throw DeviceCredentialError(
                code: .invalidConfiguration,
                message: "profile names use letters, digits, '.', '_' and '-' (at most 64, not starting with '.')")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case name, apiURL, tenantID, namespace, deviceName, devicePlatform, keyStore, keyKind, usesNumberMatching
        case userAuthenticatorID, userID
    }

    /// Decodes tolerantly: settings added by later versions are ignored, missing optional ones defaulted.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        apiURL = try container.decode(String.self, forKey: .apiURL)
        tenantID = try container.decode(String.self, forKey: .tenantID)
        namespace = try container.decodeIfPresent(DeviceNamespace.self, forKey: .namespace) ?? .push
        deviceName = try container.decodeIfPresent(String.self, forKey: .deviceName)
        devicePlatform =
            try container.decodeIfPresent(String.self, forKey: .devicePlatform) ?? Self.defaultDevicePlatform
        keyStore = try container.decodeIfPresent(KeyStoreKind.self, forKey: .keyStore) ?? .secretService
        keyKind = try container.decodeIfPresent(DeviceKeyKind.self, forKey: .keyKind) ?? .software
        usesNumberMatching = try container.decodeIfPresent(Bool.self, forKey: .usesNumberMatching) ?? false
        userAuthenticatorID = try container.decodeIfPresent(String.self, forKey: .userAuthenticatorID)
        userID = try container.decodeIfPresent(String.self, forKey: .userID)
    }
}
