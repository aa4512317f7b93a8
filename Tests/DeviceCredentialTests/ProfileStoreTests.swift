import Foundation
import Testing

@testable import DeviceCredential

@Suite("Profiles")
struct ProfileStoreTests {
    private func profile(_ name: String, tenant: String = "tenant-a") throws -> DeviceProfile {
        try DeviceProfile(
            name: name, apiURL: "https://eu.api.authsignal.com/v1", tenantID: tenant, namespace: .push,
            deviceName: "laptop", keyStore: .file)
    }

    @Test("several profiles are saved, listed by name, replaced and removed")
    func saveListRemove() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = ProfileStore(directory: directory.path + "/config/devicecred")
        #expect(try store.profiles().isEmpty)
        try store.save(try profile("work", tenant: "tenant-w"))
        try store.save(try profile("personal", tenant: "tenant-p"))
        #expect(try store.profiles().map(\.name) == ["personal", "work"])

        var updated = try profile("work", tenant: "tenant-w2")
        updated.userAuthenticatorID = "auth-1"
        try store.save(updated)
        #expect(try store.profiles().count == 2)
        #expect(try store.profile(named: "work") == updated)

        #expect(try store.remove(named: "personal"))
        #expect(try !store.remove(named: "personal"))
        #expect(try store.profiles().map(\.name) == ["work"])
    }

    @Test("the file is JSON, mode 0600, and reads back in a new store (another process)")
    func persistence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let saved = try profile("default")
        try ProfileStore(directory: directory.path).save(saved)
        let path = ProfileStore(directory: directory.path).path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        #expect(try ProfileStore(directory: directory.path).profile(named: "default") == saved)
    }

    @Test("settings a later version adds are ignored, missing optional ones defaulted")
    func tolerantDecoding() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text =
            #"{"version":1,"profiles":[{"name":"old","apiURL":"https://api.authsignal.com/v1","tenantID":"t","futureSetting":42}]}"#
        try text.write(toFile: directory.path + "/profiles.json", atomically: true, encoding: .utf8)
        let profile = try #require(try ProfileStore(directory: directory.path).profile(named: "old"))
        #expect(profile.namespace == .push)
        #expect(profile.devicePlatform == "linux")
        #expect(profile.keyStore == .secretService)
        #expect(profile.keyKind == .software)
    }

    @Test("namespace, key store and key kind are stored as their plain strings, unknown ones kept as they are")
    func kindsAreTheirStrings() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // As the hand-written Codable of earlier releases wrote it; "kwallet" stands for a kind a later
        // release may add: it must survive a read and a save.
        let text =
            #"{"version":1,"profiles":[{"name":"old","apiURL":"https://api.authsignal.com/v1","tenantID":"t","#
            + #""namespace":"device","keyStore":"kwallet","keyKind":"tpm"}]}"#
        try text.write(toFile: directory.path + "/profiles.json", atomically: true, encoding: .utf8)
        let store = ProfileStore(directory: directory.path)
        var profile = try #require(try store.profile(named: "old"))
        #expect(profile.namespace == .device)
        #expect(profile.keyStore == KeyStoreKind(rawValue: "kwallet"))
        #expect(profile.keyKind == .tpm)

        profile.deviceName = "saved again"
        try store.save(profile)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store.path))) as? [String: Any]
        )
        let saved = try #require((json["profiles"] as? [[String: Any]])?.first)
        #expect(saved["namespace"] as? String == "device")
        #expect(saved["keyStore"] as? String == "kwallet")
        #expect(saved["keyKind"] as? String == "tpm")
    }

    @Test("a corrupt profile file is invalid_configuration, and is not overwritten by a read")
    func corruptFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "{broken".write(toFile: directory.path + "/profiles.json", atomically: true, encoding: .utf8)
        let store = ProfileStore(directory: directory.path)
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) { try store.profiles() }
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try store.save(try profile("x"))
        }
        #expect(try String(contentsOfFile: directory.path + "/profiles.json", encoding: .utf8) == "{broken")
    }

    @Test("concurrent saves of different profiles lose none")
    func concurrentSaves() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = ProfileStore(directory: directory.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask { try store.save(try profile("p\(index)")) }
            }
            try await group.waitForAll()
        }
        #expect(try store.profiles().count == 16)
    }
}
