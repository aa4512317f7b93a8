/// Which of a profile's keys a call uses: one key per namespace, and in the in-app namespace one per
/// user name, as the official SDKs keep them.
///
/// The key of the profile's own namespace (``DeviceProfile/namespace``, push unless set) is stored under
/// the profile's name, as it always was, so existing profiles load unchanged. Every other key is stored
/// under `<profile>@<namespace>`, and a user name's in-app key under `<profile>@in-app~<base64url(name)>`:
/// `@` and `~` never appear in a profile name, so no key name can be another profile's.
struct KeySlot: Hashable, Sendable {
    let profileName: String
    let namespace: DeviceNamespace
    let username: String?
    let isProfileNamespace: Bool

    /// The longest user name a key is kept for, in UTF-8 bytes (its key name must fit a file name).
    static let maximumUsernameBytes = 128

    init(profile: DeviceProfile, namespace: DeviceNamespace, username: String? = nil) throws {
        if let username {
            guard !username.isEmpty, username.utf8.count <= Self.maximumUsernameBytes else {
                throw DeviceCredentialError(
                    code: .invalidConfiguration,
                    message: "a username is 1 to \(Self.maximumUsernameBytes) bytes of UTF-8")
            }
        }
        self.profileName = profile.name
        self.namespace = namespace
        self.username = username
        self.isProfileNamespace = namespace == profile.namespace && username == nil
    }

    /// The name the key store keeps the key under.
    var keyName: String {
        guard !isProfileNamespace else { return profileName }
        let user = username.map { "~" + Base64.urlEncodeUnpadded(Array($0.utf8)) } ?? ""
        return profileName + "@" + namespace.rawValue + user
    }

    /// How messages name the key: "push", "qr-code", "in-app (user alice)".
    var shownName: String {
        namespace.rawValue + (username.map { " (user \(DisplayText.terminal($0, limit: 60)))" } ?? "")
    }
}

extension DeviceProfile {
    /// The description a key store records next to the key of `slot`.
    func keyStoreItem(_ slot: KeySlot) -> KeyStoreItem {
        KeyStoreItem(profile: slot.keyName, tenantID: tenantID, apiURL: apiURL, namespace: slot.namespace)
    }

    /// Throws `invalid_configuration` unless `keyName` is a name a key store keeps a key under: a profile
    /// name, optionally followed by `@namespace` (letters, digits, `-`) and `~` with base64url characters.
    public static func validate(keyName: String) throws {
        let parts = keyName.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        try validate(name: String(parts[0]))
        guard parts.count == 2 else { return }
        let suffix = parts[1].split(separator: "~", maxSplits: 1, omittingEmptySubsequences: false)
        let isNamespaceByte = { (byte: UInt8) in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
        }
        let isBase64URLByte = { (byte: UInt8) in
            isNamespaceByte(byte) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
        }
        let valid =
            !suffix[0].isEmpty && suffix[0].utf8.count <= 32 && suffix[0].utf8.allSatisfy(isNamespaceByte)
            && (suffix.count == 1 || (!suffix[1].isEmpty && suffix[1].utf8.allSatisfy(isBase64URLByte)))
            && keyName.utf8.count <= 250
        guard valid else {
            throw DeviceCredentialError(
                code: .invalidConfiguration, message: "'\(DisplayText.terminal(keyName, limit: 80))' is not a key name")
        }
    }
}
