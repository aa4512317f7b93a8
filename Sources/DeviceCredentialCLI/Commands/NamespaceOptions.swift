import ArgumentParser
import DeviceCredential

/// `--namespace`: which of a profile's credentials a command acts on.
enum NamespaceChoice: String, CaseIterable, ExpressibleByArgument {
    case push
    case qr
    case inapp

    var defaultValueDescription: String {
        switch self {
        case .push: "push sign-in challenges (the default)"
        case .qr: "QR codes a browser shows, claimed with devicecred claim"
        case .inapp: "in-app proofs for this machine's programs, made with devicecred verify"
        }
    }
}

/// `--namespace` and, for in-app credentials, `--username`.
struct NamespaceOptions: ParsableArguments {
    @Option(help: "The credential to act on: the profile's push, QR-code or in-app one.")
    var namespace: NamespaceChoice = .push

    @Option(
        help: ArgumentHelp(
            "With --namespace inapp: the user name whose own in-app key to use (a key per user name).",
            valueName: "name"))
    var username: String?

    func validate() throws {
        if username != nil, namespace != .inapp {
            throw ValidationError("--username applies to --namespace inapp only")
        }
        if let username, username.isEmpty || username.utf8.count > 128 {
            throw ValidationError("--username is 1 to 128 bytes")
        }
    }
}

/// One namespace's credential of a profile: the same four operations whatever the namespace.
struct NamespacedCredential: Sendable {
    let namespace: NamespaceChoice
    let username: String?
    let client: DeviceCredentialClient

    init(_ options: NamespaceOptions, client: DeviceCredentialClient) {
        namespace = options.namespace
        username = options.username
        self.client = client
    }

    /// How messages name it: "QR-code credential", "in-app credential of user alice".
    var shownName: String {
        switch namespace {
        case .push: "push credential"
        case .qr: "QR-code credential"
        case .inapp: "in-app credential" + (username.map { " of user \(DisplayText.terminal($0))" } ?? "")
        }
    }

    func keySummary() throws -> DeviceKeySummary? {
        switch namespace {
        case .push: try client.localKeySummary()
        case .qr: try client.qr.localKeySummary()
        case .inapp: try client.inApp.localKeySummary(username: username)
        }
    }

    func add(token: String, deviceName: String?) async throws -> AppCredential {
        switch namespace {
        case .push: try await client.addCredential(token: token, deviceName: deviceName)
        case .qr: try await client.qr.addCredential(token: token, deviceName: deviceName)
        case .inapp: try await client.inApp.addCredential(token: token, username: username, deviceName: deviceName)
        }
    }

    func get() async throws -> AppCredential {
        switch namespace {
        case .push: try await client.getCredential()
        case .qr: try await client.qr.getCredential()
        case .inapp: try await client.inApp.getCredential(username: username)
        }
    }

    func remove() async throws -> String? {
        switch namespace {
        case .push: try await client.removeCredential()
        case .qr: try await client.qr.removeCredential()
        case .inapp: try await client.inApp.removeCredential(username: username)
        }
    }

    /// The local key; `not_enrolled` (exit 3) when there is none.
    func requireKey(profile: DeviceProfile) throws -> DeviceKeySummary {
        guard let key = try keySummary() else {
            let option = namespace == .push ? "" : " --namespace \(namespace.rawValue)"
            throw CommandFailure(
                code: DeviceCredentialError.Code.notEnrolled.rawValue,
                message: "the profile '\(profile.name)' has no \(shownName) on this machine; enroll it with "
                    + "devicecred enroll\(option)",
                status: .notEnrolled)
        }
        return key
    }
}

extension Documents {
    /// `status` and `enroll` for a QR-code or in-app credential: the push document plus the namespace.
    static func status(
        profile: DeviceProfile, key: DeviceKeySummary, credential: AppCredential, namespace: NamespaceChoice,
        username: String?
    ) -> JSONValue {
        guard case .object(var fields) = status(profile: profile, key: key, credential: credential) else {
            return status(profile: profile, key: key, credential: credential)
        }
        fields["namespace"] = .string(namespace.rawValue)
        fields["username"] = username.map(JSONValue.string) ?? .null
        return .object(fields)
    }
}
