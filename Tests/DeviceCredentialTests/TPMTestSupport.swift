import DeviceCredential
import DeviceCredentialLocking
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Every TPM test shares one swtpm, whose dictionary-attack state (wrong PINs, lockout) is global to
/// the TPM, so they run one at a time. The suites live in the TPM*.swift files as extensions.
@Suite(.serialized) struct TPMTests {}

/// The real services the TPM tests use, as Tests/scripts/with-services.sh provides them.
enum TPMTestEnvironment {
    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Fails the test unless the swtpm simulator is configured.
    static func requireSimulator() throws {
        try #require(
            environment["TPM2OPENSSL_TCTI"]?.isEmpty == false && environment["TPM2TOOLS_TCTI"]?.isEmpty == false,
            Comment(
                rawValue: "TPM2OPENSSL_TCTI/TPM2TOOLS_TCTI are not set: run the TPM tests inside "
                    + "Tests/scripts/with-services.sh, which starts swtpm"))
    }

    /// A new private directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-tpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs a tool found on PATH and waits for it (blocking: `defer` blocks call it), through the test
    /// support's ChildProcess: its output goes to files, which a daemon it leaves behind cannot hold open.
    @discardableResult
    static func run(
        _ tool: String, _ arguments: [String], environment extra: [String: String] = [:], captureOutput: Bool = true
    ) throws -> Output {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (outputPath, errorPath) = (directory.path + "/output", directory.path + "/errors")
        let child = try ChildProcess(
            "/usr/bin/env", [tool] + arguments, environment: environment.merging(extra) { $1 },
            standardOutput: captureOutput ? .file(outputPath) : .null,
            standardError: captureOutput ? .file(errorPath) : .null)
        let status = child.waitUntilExit()
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Output(status: status, standardOutput: read(outputPath), standardError: read(errorPath))
    }

    /// Resets the TPM's dictionary-attack counter and lockout (the lockout hierarchy has no password on swtpm),
    /// so a test that typed wrong PINs leaves the TPM as it found it.
    static func clearDictionaryAttackLockout() throws {
        let result = try run("tpm2_dictionarylockout", ["--clear-lockout"])
        try #require(result.status == 0, "tpm2_dictionarylockout --clear-lockout failed: \(result.standardError)")
    }

    /// PEM text with `label` around `der`.
    static func pem(_ der: [UInt8], label: String) -> String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }

    /// The DER inside PEM text.
    static func der(fromPEM text: String) -> [UInt8]? {
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: body).map { Array($0) }
    }
}

/// Hands out a fixed PIN and records what it was asked for.
final class RecordingPINProvider: Sendable {
    private let pin: String?
    private let requests = Locked<[TPMPINRequest]>([])

    init(pin: String?) { self.pin = pin }

    var asked: [TPMPINRequest] { requests.withLock { $0 } }

    var provider: TPMPINProvider {
        { request in
            self.requests.withLock { $0.append(request) }
            return self.pin
        }
    }
}
