import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// Each way of not reaching the TPM has its own error and says what to do.
    ///
    /// The tpm2 provider reads `TPM2OPENSSL_TCTI` from the environment, so the tests that change it run
    /// in a child process (an exit test) where nothing else reads the environment meanwhile.
    @Suite struct Errors {
        @Test func missingSimulatorSocketIsTPMUnavailable() async {
            await #expect(processExitsWith: .success) {
                setenv("TPM2OPENSSL_TCTI", "swtpm:path=/nonexistent/devicecred/sock", 1)
                TPMErrorTests.expectGenerationFails(with: .tpmUnavailable, mentioning: "/nonexistent/devicecred/sock")
            }
        }

        @Test func missingTPMDeviceIsTPMUnavailable() async {
            await #expect(processExitsWith: .success) {
                setenv("TPM2OPENSSL_TCTI", "device:/nonexistent/devicecred/tpmrm0", 1)
                TPMErrorTests.expectGenerationFails(with: .tpmUnavailable, mentioning: "has no TPM")
            }
        }

        @Test func tpmDeviceOfAnotherGroupIsPermissionDenied() async {
            await #expect(processExitsWith: .success) {
                // A device node stand-in the TSS opens like /dev/tpmrm0: root:tss, mode 0660, opened as nobody
                // (or, when not root, a file of ours with mode 0).
                let directory = "/tmp/devicecred-tpm-permission-\(getppid())"
                mkdir(directory, 0o755)
                let device = directory + "/tpmrm0"
                close(open(device, O_CREAT | O_WRONLY, 0o600))
                var group = "tss"
                if getuid() == 0 {
                    guard let tss = getgrnam("tss") else { TPMErrorTests.fail("no group tss on this machine") }
                    chown(device, 0, tss.pointee.gr_gid)
                    chmod(device, 0o660)
                    guard let nobody = getpwnam("nobody") else { TPMErrorTests.fail("no user nobody") }
                    guard setgroups(0, nil) == 0, setgid(nobody.pointee.pw_gid) == 0, setuid(nobody.pointee.pw_uid) == 0
                    else { TPMErrorTests.fail("cannot become nobody") }
                } else {
                    chmod(device, 0)
                    group = getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) } ?? ""
                }
                setenv("TPM2OPENSSL_TCTI", "device:" + device, 1)
                TPMErrorTests.expectGenerationFails(with: .tpmPermissionDenied, mentioning: "group \(group)")
            }
            try? FileManager.default.removeItem(atPath: "/tmp/devicecred-tpm-permission-\(getpid())")
        }

        @Test func modulesDirectoryWithoutTheProviderIsProviderMissing() throws {
            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let error = try #require(throws: DeviceCredentialError.self) {
                try TPMKeyFactory(modulesDirectory: directory.path).generateKey()
            }
            #expect(error.code == .tpmProviderMissing)
            #expect(error.message.contains("tpm2-openssl"))
        }

        @Test func unloadableProviderIsProviderMissing() throws {
            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data("not a shared object".utf8).write(to: directory.appendingPathComponent("tpm2.so"))
            let error = try #require(throws: DeviceCredentialError.self) {
                try TPMKeyFactory(modulesDirectory: directory.path).generateKey()
            }
            #expect(error.code == .tpmProviderMissing)
            #expect(error.message.contains("tpm2-openssl"))
        }

        @Test func signingWithAKeyWhenTheProviderIsMissingFailsTheSameWay() throws {
            try TPMTestEnvironment.requireSimulator()
            let material = try TPMKeyFactory().generateKey().keyMaterial()
            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let key = try TPMKeyFactory(modulesDirectory: directory.path).loadKey(from: material)
            #expect(throws: DeviceCredentialError(code: .tpmProviderMissing, message: "")) {
                try key.signature(for: "x")
            }
        }

        @Test(arguments: [
            (UInt32(0x98E), TPMResponseCode.Meaning.authorizationFailed),
            (0x9A2, .authorizationFailed),
            (0x09F, .other),
            (0x0A2, .authorizationFailed),
            (0x921, .lockout),
            (0xA000A, .transportFailed),
            (0x70001, .other),
        ])
        func responseCodesAreClassified(rawValue: UInt32, meaning: TPMResponseCode.Meaning) {
            #expect(TPMResponseCode(rawValue: rawValue).meaning == meaning)
        }

        @Test func responseCodeIsReadFromTheProvidersErrorData() {
            let code = TPMResponseCode(firstIn: [nil, "2446 tpm:session(1):the authorization HMAC check failed"])
            #expect(code?.rawValue == 2446)
            #expect(TPMResponseCode(firstIn: ["name=tpm2", nil]) == nil)
        }
    }
}

/// What the exit tests run in their child process.
enum TPMErrorTests {
    static func expectGenerationFails(with code: DeviceCredentialError.Code, mentioning text: String) -> Never {
        do {
            _ = try TPMKeyFactory().generateKey()
            fail("a key was generated")
        } catch let error as DeviceCredentialError where error.code == code && error.message.contains(text) {
            exit(0)
        } catch {
            fail("expected \(code) mentioning '\(text)', got \(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("TPM error test: " + message + "\n").utf8))
        exit(1)
    }
}
