import DeviceCredential
import DeviceCredentialTestSupport
import Foundation

extension ServerAPI {
    /// A profile for this server with a fresh name, its key in memory.
    func profile(_ name: String = "p-\(UUID().uuidString.prefix(8))", namespace: DeviceNamespace = .push) throws
        -> DeviceProfile
    {
        try DeviceProfile(
            name: name, apiURL: apiURL, tenantID: tenantID, namespace: namespace, deviceName: "test device",
            keyStore: .memory)
    }

    /// A fresh user id.
    static func newUserID() -> String { "user-\(UUID().uuidString.lowercased())" }
}
