import DeviceCredentialTestSupport
import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// TPM keys through the tpm2 provider and swtpm: same encodings and signatures as software keys.
    @Suite struct Keys {
        @Test func signatureVerifiesWithTheSoftwarePath() throws {
            try TPMTestEnvironment.requireSimulator()
            let key = try TPMKeyFactory().generateTPMKey()
            #expect(key.kind == .tpm)
            #expect(!key.requiresPIN)
            #expect(key.publicKey.base64Representation.count == 124)
            #expect(key.publicKey.base64Representation.hasPrefix("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"))

            let signature = try key.signature(for: "challenge-1234")
            #expect((70...72).contains(signature.derRepresentation.count))
            #expect(signature.derRepresentation.first == 0x30)
            #expect(key.publicKey.isValidSignature(signature, for: "challenge-1234"))
            #expect(!key.publicKey.isValidSignature(signature, for: "challenge-1235"))
            // The software verifier of an unrelated key refuses it: the signature is this key's.
            #expect(!(try SoftwareSigningKey()).publicKey.isValidSignature(signature, for: "challenge-1234"))
        }

        @Test func signatureVerifiesWithOpenSSLDgst() throws {
            try TPMTestEnvironment.requireSimulator()
            let key = try TPMKeyFactory().generateTPMKey()
            let message = "2993192.0"
            let signature = try key.signature(for: message)

            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let publicKeyFile = directory.appendingPathComponent("public.pem")
            let messageFile = directory.appendingPathComponent("message")
            let signatureFile = directory.appendingPathComponent("signature.der")
            try TPMTestEnvironment.pem(key.publicKey.derRepresentation, label: "PUBLIC KEY")
                .write(to: publicKeyFile, atomically: true, encoding: .utf8)
            try Data(message.utf8).write(to: messageFile)
            try Data(signature.derRepresentation).write(to: signatureFile)

            let verify = try TPMTestEnvironment.run(
                "openssl",
                ["dgst", "-sha256", "-verify", publicKeyFile.path, "-signature", signatureFile.path, messageFile.path])
            #expect(verify.status == 0, "openssl: \(verify.standardError)")
            #expect(verify.standardOutput.contains("Verified OK"))

            try Data("2993193.0".utf8).write(to: messageFile)
            let tampered = try TPMTestEnvironment.run(
                "openssl",
                ["dgst", "-sha256", "-verify", publicKeyFile.path, "-signature", signatureFile.path, messageFile.path])
            #expect(tampered.status != 0)
        }

        @Test func publicKeyReadFromTheBlobIsTheOneTheTPMReports() throws {
            try TPMTestEnvironment.requireSimulator()
            let key = try TPMKeyFactory().generateTPMKey()
            #expect(try key.publicKeyFromTPM() == key.publicKey)
        }

        @Test func keyMaterialIsTheTSS2BlobAndReloadsToTheSameKey() throws {
            try TPMTestEnvironment.requireSimulator()
            let factory = TPMKeyFactory()
            let key = try factory.generateTPMKey()
            let material = try key.keyMaterial()
            #expect(material.kind == .tpm)
            #expect(material.kind.pemLabel == "TSS2 PRIVATE KEY")
            // DER of TSSPrivKey: SEQUENCE, then the loadable-key OID 2.23.133.10.1.3.
            let der = material.withUnsafeDERBytes { Array($0) }
            #expect(der.first == 0x30)
            #expect(der.firstRange(of: [0x06, 0x06, 0x67, 0x81, 0x05, 0x0A, 0x01, 0x03]) != nil)

            let reloaded = try factory.loadKey(from: KeyMaterial(kind: .tpm, derRepresentation: der))
            #expect(reloaded.publicKey == key.publicKey)
            #expect(reloaded.kind == .tpm)
            let signature = try reloaded.signature(for: "after reload")
            #expect(key.publicKey.isValidSignature(signature, for: "after reload"))
        }

        @Test func softwareAndTPMMaterialAreNotMistakenForEachOther() throws {
            try TPMTestEnvironment.requireSimulator()
            let tpmMaterial = try TPMKeyFactory().generateKey().keyMaterial()
            let softwareMaterial = try SoftwareSigningKey().keyMaterial()

            #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
                try SoftwareKeyFactory().loadKey(from: tpmMaterial)
            }
            #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
                try TPMKeyFactory().loadKey(from: softwareMaterial)
            }
            // Software PKCS#8 bytes labelled as a TPM key are refused too, not sent to the TPM.
            let mislabelled = softwareMaterial.withUnsafeDERBytes {
                KeyMaterial(kind: .tpm, derRepresentation: Array($0))
            }
            #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
                try TPMKeyFactory().loadKey(from: mislabelled)
            }
        }

        @Test(arguments: [[], [0x30, 0x03, 0x02, 0x01, 0x00], Array(repeating: UInt8(0xFF), count: 64)])
        func malformedBlobsAreInvalidKeys(bytes: [UInt8]) throws {
            #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
                try TPMKeyFactory().loadKey(from: KeyMaterial(kind: .tpm, derRepresentation: bytes))
            }
        }

        @Test func truncatedBlobIsAnInvalidKey() throws {
            try TPMTestEnvironment.requireSimulator()
            let der = try TPMKeyFactory().generateKey().keyMaterial().withUnsafeDERBytes { Array($0) }
            #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
                try TPMKeyFactory().loadKey(from: KeyMaterial(kind: .tpm, derRepresentation: Array(der.dropLast(10))))
            }
        }

        @Test func profileKindMakesATPMFactory() throws {
            let factory = try DeviceKeyKind.tpm.makeFactory()
            #expect(factory.kind == .tpm)
            #expect(factory is TPMKeyFactory)
            #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
                try DeviceKeyKind.software.makeFactory(pinProvider: nil, newKeysRequirePIN: true)
            }
            #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
                try DeviceKeyKind.tpm.makeFactory(pinProvider: nil, newKeysRequirePIN: true)
            }
        }

        @Test func keyMadeByAnotherTPMIsRefusedAsInvalidKey() async throws {
            try TPMTestEnvironment.requireSimulator()
            let directory = try TPMTestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            // A second, private swtpm: its storage hierarchy has another seed, so its keys cannot load here.
            let otherTPM = try PrivateTPM()
            defer { otherTPM.stop() }
            let keyFile = directory.appendingPathComponent("other.pem").path
            let generated = try TPMTestEnvironment.run(
                "openssl",
                [
                    "genpkey", "-provider", "tpm2", "-provider", "base", "-algorithm", "EC", "-pkeyopt", "group:P-256",
                    "-out", keyFile,
                ],
                environment: ["TPM2OPENSSL_TCTI": otherTPM.tcti])
            try #require(generated.status == 0, "openssl genpkey in the other TPM failed: \(generated.standardError)")
            let der = try #require(
                TPMTestEnvironment.der(fromPEM: try String(contentsOfFile: keyFile, encoding: .utf8)))

            // The blob is well formed, so it loads as a value and shows its public key...
            let key = try TPMKeyFactory().loadKey(from: KeyMaterial(kind: .tpm, derRepresentation: der))
            #expect(key.publicKey.base64Representation.count == 124)
            // ...but this TPM cannot use it.
            let error = try #require(throws: DeviceCredentialError.self) { try key.signature(for: "x") }
            #expect(error.code == .invalidKey)
            #expect(error.message.contains("another TPM"))
        }
    }
}
