import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// Where the session bus is found, without GIO's last resort (autolaunch).
@Suite struct SessionBusAddressTests {
    private func resolve(_ variables: [String: String]) throws -> String {
        try SessionBusAddress.resolve { variables[$0] }
    }

    @Test func theEnvironmentsAddressComesFirst() throws {
        #expect(
            try resolve(["DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"]) == "unix:path=/run/user/1000/bus")
    }

    @Test func anAutolaunchAddressIsRefused() {
        for address in ["autolaunch:", "unix:path=/nowhere;autolaunch:"] {
            #expect(throws: DeviceCredentialError(code: .dbusUnavailable, message: "")) {
                try resolve(["DBUS_SESSION_BUS_ADDRESS": address])
            }
        }
    }

    @Test func withoutAnAddressTheUserBusSocketIsUsedWhenThereIsOne() async throws {
        let bus = try await PrivateSessionBus()
        defer { bus.stop() }
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("dc run \(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        do {
            _ = try resolve(["XDG_RUNTIME_DIR": runtime, "DBUS_SESSION_BUS_ADDRESS": ""])
            Issue.record("no bus socket in \(runtime), yet an address was found")
        } catch let error as DeviceCredentialError {
            #expect(error.code == .dbusUnavailable)
            #expect(error.message.contains("no session bus"))
        }
        // A plain file named bus is no bus.
        FileManager.default.createFile(atPath: runtime + "/bus", contents: Data())
        #expect(throws: DeviceCredentialError(code: .dbusUnavailable, message: "")) {
            try resolve(["XDG_RUNTIME_DIR": runtime])
        }
        try FileManager.default.removeItem(atPath: runtime + "/bus")
        let socket = String(bus.address.dropFirst("unix:path=".count))
        try FileManager.default.createSymbolicLink(atPath: runtime + "/bus", withDestinationPath: socket)
        let address = try resolve(["XDG_RUNTIME_DIR": runtime])
        #expect(address == "unix:path=" + runtime.replacingOccurrences(of: " ", with: "%20") + "/bus")
    }
}
