import DeviceCredential
import DeviceCredentialAgent
import Dispatch
import FoundationEssentials

/// The library's parsers of outside input: the device API's answers, `Retry-After`, stored keys and the
/// profile list.
enum LibraryTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(
            name: "device-response",
            summary: "the device client's answers (status, headers, JSON), as the agent shows them",
            body: deviceResponse),
        FuzzTarget(
            name: "display-text", summary: "DisplayText: nothing a terminal or Pango acts on gets through",
            body: displayText),
        FuzzTarget(name: "retry-after", summary: "a Retry-After header (seconds or an HTTP date)", body: retryAfter),
        FuzzTarget(name: "key-pem", summary: "a key file's PEM (software PKCS#8 or TPM blob)", body: keyPEM),
        FuzzTarget(name: "tpm-blob", summary: "the DER of a TSS2 PRIVATE KEY (the TPM key blob)", body: tpmBlob),
        FuzzTarget(name: "profiles", summary: "profiles.json, as the CLI and the agent read it", body: profiles),
    ]

    // MARK: device-response

    private static let profile = try! DeviceProfile(
        name: "fuzz", apiURL: "https://api.example.com/v1", tenantID: "tenant", usesNumberMatching: true)
    /// One key for every input, loaded once: generating or decoding one each time would be most of the work.
    private static let keys = OneKeyFactory(key: try! SoftwareSigningKey())

    /// Every device call the library makes, each given the input as the server's answer; a challenge that
    /// decodes is also rendered as every prompter shows it.
    static func deviceResponse(_ bytes: [UInt8]) throws {
        let transport = FuzzTransport(answer: FuzzAnswer(bytes[...]))
        let store = InMemoryKeyStore()
        for slot in ["fuzz", "fuzz@qr-code", "fuzz@in-app"] {
            try store.storeKey(
                try keys.key.keyMaterial(),
                for: KeyStoreItem(profile: slot, tenantID: "tenant", apiURL: profile.apiURL, namespace: .push))
        }
        let client = try DeviceCredentialClient(
            profile: profile, keyStore: store, keyFactory: keys, transport: transport)
        runBlocking {
            if let challenge = try? await client.getChallenge() {
                render(PromptRequest(challenge: challenge, profile: profile, now: Date()))
            }
            _ = try? await client.getCredential()
            _ = try? await client.updateCredential(resetExpiry: true)
            _ = try? await client.updateChallenge(challengeId: "c", approved: true, verificationCode: "12")
            _ = try? await client.addCredential(token: "t", deviceName: "fuzz")
            if let context = try? await client.qr.claimChallenge(challengeId: "c") {
                _ = DisplayText.markup(context.userAgent ?? "") + DisplayText.terminal(context.ipAddress ?? "")
            }
            _ = try? await client.qr.updateChallenge(challengeId: "c", approved: false)
            _ = try? await client.inApp.verify(action: "signIn")
            _ = try? await client.inApp.verify(token: "t")
            _ = try? await client.removeCredential()
        }
    }

    /// The prompt's words in every medium, and the command prompter's JSON.
    private static func render(_ request: PromptRequest) {
        for style in [ChallengeText.ExpiryStyle.timeLeft, .clockTime] {
            _ = ChallengeText.details(for: request, rendering: DisplayText.terminal, expiry: style)
            _ = ChallengeText.details(for: request, rendering: { DisplayText.markup($0) }, expiry: style)
        }
        _ = ChallengeText.title(for: request)
        _ = ChallengeText.answerFromTerminal(for: request)
        _ = ChallengeText.json(for: request)
    }

    /// Runs `operation` to its end from the fuzzer's (synchronous) callback.
    private static func runBlocking(_ operation: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await operation()
            done.signal()
        }
        done.wait()
    }

    // MARK: The others

    /// The one rendering of outside text: its output must hold no control character, no bidirectional
    /// override and (for Pango) no markup, whatever the input.
    static func displayText(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        let acted: (Unicode.Scalar) -> Bool = { scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || [0x200E, 0x200F, 0x2028, 0x2029].contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value)
        }
        for shown in [DisplayText.terminal(text), DisplayText.terminal(text, limit: 40), DisplayText.guarded(text)] {
            guard !shown.unicodeScalars.contains(where: acted) else { fatalError("DisplayText let a control through") }
        }
        for shown in [DisplayText.markup(text), DisplayText.markup(text, limit: 40)] {
            guard !shown.unicodeScalars.contains(where: { acted($0) || $0 == "<" || $0 == ">" }) else {
                fatalError("DisplayText.markup let a control or a tag through")
            }
        }
        let json = DisplayText.json(text)
        guard !json.unicodeScalars.contains(where: { $0.value >= 0x7F && acted($0) }) else {
            fatalError("DisplayText.json let a C1 control or a line separator through")
        }
    }

    static func retryAfter(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = RetryAfter.delay(text, now: Date(timeIntervalSince1970: 1_795_915_200))
        _ = RetryAfter.httpDate(text)
    }

    static func keyPEM(_ bytes: [UInt8]) throws {
        let material = try bytes.withUnsafeBytes { try KeyMaterial(pemText: $0) }
        switch material.kind {
        case .software: _ = try SoftwareKeyFactory().loadKey(from: material).publicKey.base64Representation
        default: try tpmBlob(material.withUnsafeDERBytes { Array($0) })
        }
    }

    static func tpmBlob(_ bytes: [UInt8]) throws {
        let blob = try TPMKeyBlob(derRepresentation: bytes)
        _ = (blob.requiresPIN, blob.publicKey.base64Representation)
    }

    static func profiles(_ bytes: [UInt8]) throws {
        let directory = try ScratchFiles.write(bytes, as: "profiles.json")
        for profile in try ProfileStore(directory: directory).profiles() {
            let transport = FuzzTransport(answer: FuzzAnswer([]))
            _ = try? DeviceCredentialClient(profile: profile, keyStore: InMemoryKeyStore(), transport: transport)
        }
    }
}

/// Hands out the same key whatever the store holds.
private struct OneKeyFactory: DeviceKeyFactory {
    let key: SoftwareSigningKey
    var kind: DeviceKeyKind { .software }
    func generateKey() throws -> any DeviceSigningKey { key }
    func loadKey(from material: KeyMaterial) throws -> any DeviceSigningKey { key }
}
