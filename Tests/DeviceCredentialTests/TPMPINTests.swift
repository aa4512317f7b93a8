import Foundation
import Testing

@testable import DeviceCredential

extension TPMTests {
    /// The optional TPM PIN (`user-auth`) as user verification.
    @Suite struct PIN {
        @Test func keyWithAPINSignsWithTheRightPIN() throws {
            try TPMTestEnvironment.requireSimulator()
            let pins = RecordingPINProvider(pin: "4711")
            let factory = TPMKeyFactory(newKeysRequirePIN: true, pinProvider: pins.provider)
            let key = try factory.generateTPMKey()
            #expect(key.requiresPIN)
            #expect(pins.asked.map(\.purpose) == [.newKey])

            let signature = try key.signature(for: "approve")
            #expect(key.publicKey.isValidSignature(signature, for: "approve"))
            #expect(pins.asked.map(\.purpose) == [.newKey, .signing])
            #expect(pins.asked.last?.publicKey == key.publicKey)

            // Whether a key needs a PIN survives the key store: it is read from the stored blob.
            let reloaded = try TPMKeyFactory().loadTPMKey(from: try key.keyMaterial())
            #expect(reloaded.requiresPIN)
            #expect(reloaded.publicKey == key.publicKey)
        }

        @Test func wrongPINFailsWithAuthFailedAndSignsNothing() throws {
            try TPMTestEnvironment.requireSimulator()
            let key = try TPMKeyFactory(
                newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "4711").provider
            )
            .generateTPMKey()
            let wrong = try TPMKeyFactory(pinProvider: RecordingPINProvider(pin: "1234").provider)
                .loadKey(from: try key.keyMaterial())
            defer { try? TPMTestEnvironment.clearDictionaryAttackLockout() }

            var signature: DeviceSignature?
            let error = try #require(throws: DeviceCredentialError.self) {
                signature = try wrong.signature(for: "approve")
            }
            #expect(error.code == .tpmAuthFailed)
            #expect(error.message.contains("wrong PIN"))
            #expect(signature == nil)
        }

        @Test func keyWithAPINNeedsAPINProvider() throws {
            try TPMTestEnvironment.requireSimulator()
            let key = try TPMKeyFactory(
                newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "4711").provider
            )
            .generateTPMKey()
            let material = try key.keyMaterial()

            let withoutProvider = try TPMKeyFactory().loadKey(from: material)
            #expect(throws: DeviceCredentialError(code: .tpmPINRequired, message: "")) {
                try withoutProvider.signature(for: "approve")
            }
            let givesNoPIN = RecordingPINProvider(pin: nil)
            let declined = try TPMKeyFactory(pinProvider: givesNoPIN.provider).loadKey(from: material)
            #expect(throws: DeviceCredentialError(code: .tpmPINRequired, message: "")) {
                try declined.signature(for: "approve")
            }
            #expect(givesNoPIN.asked.count == 1)
        }

        @Test func newKeysRequiringAPINNeedOne() throws {
            try TPMTestEnvironment.requireSimulator()
            #expect(throws: DeviceCredentialError(code: .tpmPINRequired, message: "")) {
                try TPMKeyFactory(newKeysRequirePIN: true).generateKey()
            }
            #expect(throws: DeviceCredentialError(code: .tpmPINRequired, message: "")) {
                try TPMKeyFactory(newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "").provider)
                    .generateKey()
            }
        }

        @Test func aPINLongerThanTheTPMTakesIsRefusedBeforeTheTPM() throws {
            let longest = String(repeating: "7", count: TPMKeyFactory.maximumPINLength)
            try TPMKeyFactory.validatePIN(longest)
            #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
                try TPMKeyFactory.validatePIN(longest + "7")
            }
            // Counted in bytes: four 3-byte characters are 12 bytes.
            try TPMKeyFactory.validatePIN("€€€€")
            #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
                try TPMKeyFactory(newKeysRequirePIN: true, pinProvider: { _ in longest + "7" }).generateKey()
            }
        }

        @Test func theLongestPINProtectsAKey() throws {
            try TPMTestEnvironment.requireSimulator()
            let longest = String(repeating: "7", count: TPMKeyFactory.maximumPINLength)
            let key = try TPMKeyFactory(newKeysRequirePIN: true, pinProvider: { _ in longest }).generateTPMKey()
            let signature = try key.signature(for: "approve")
            #expect(key.publicKey.isValidSignature(signature, for: "approve"))
        }

        @Test func keyWithoutAPINNeverAsksForOne() throws {
            try TPMTestEnvironment.requireSimulator()
            let pins = RecordingPINProvider(pin: "4711")
            let key = try TPMKeyFactory(pinProvider: pins.provider).generateKey()
            _ = try key.signature(for: "approve")
            #expect(pins.asked.isEmpty)
        }

        struct Cancelled: Error {}

        @Test func aPINProviderThatCancelsStopsTheSignature() throws {
            try TPMTestEnvironment.requireSimulator()
            let material = try TPMKeyFactory(
                newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "4711").provider
            ).generateKey().keyMaterial()
            let key = try TPMKeyFactory(pinProvider: { _ in throw Cancelled() }).loadKey(from: material)
            #expect(throws: Cancelled.self) { try key.signature(for: "approve") }
        }

        @Test func repeatedWrongPINsLockTheTPMOutUntilItIsCleared() throws {
            try TPMTestEnvironment.requireSimulator()
            let pinKey = try TPMKeyFactory(
                newKeysRequirePIN: true, pinProvider: RecordingPINProvider(pin: "4711").provider
            )
            .generateTPMKey()
            let plainKey = try TPMKeyFactory().generateTPMKey()
            let wrong = try TPMKeyFactory(pinProvider: RecordingPINProvider(pin: "0000").provider)
                .loadKey(from: try pinKey.keyMaterial())
            try TPMTestEnvironment.clearDictionaryAttackLockout()
            // Two failures lock the TPM out; recovery takes long enough that only the reset below ends it.
            try #require(
                try TPMTestEnvironment.run(
                    "tpm2_dictionarylockout",
                    ["--setup-parameters", "--max-tries=2", "--recovery-time=600", "--lockout-recovery-time=600"]
                ).status == 0)
            defer {
                try? TPMTestEnvironment.clearDictionaryAttackLockout()
                // swtpm's defaults.
                _ = try? TPMTestEnvironment.run(
                    "tpm2_dictionarylockout",
                    ["--setup-parameters", "--max-tries=3", "--recovery-time=1000", "--lockout-recovery-time=1000"])
            }

            var codes: [DeviceCredentialError.Code] = []
            for _ in 0..<4 {
                do {
                    _ = try wrong.signature(for: "guess")
                    Issue.record("a wrong PIN produced a signature")
                } catch let error as DeviceCredentialError {
                    codes.append(error.code)
                    if error.code == .tpmLockout { break }
                }
            }
            #expect(codes.first == .tpmAuthFailed)
            #expect(codes.last == .tpmLockout)

            // In lockout the TPM refuses even the right PIN, and keys without one.
            let lockout = try #require(throws: DeviceCredentialError.self) { try pinKey.signature(for: "approve") }
            #expect(lockout.code == .tpmLockout)
            #expect(lockout.message.contains("tpm2_dictionarylockout"))
            #expect(throws: DeviceCredentialError(code: .tpmLockout, message: "")) {
                try plainKey.signature(for: "approve")
            }

            try TPMTestEnvironment.clearDictionaryAttackLockout()
            let signature = try pinKey.signature(for: "approve")
            #expect(pinKey.publicKey.isValidSignature(signature, for: "approve"))
        }
    }
}
