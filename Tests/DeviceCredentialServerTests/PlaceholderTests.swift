import Testing
@testable import DeviceCredentialServer
@Test func placeholder() { #expect(ServerVersion.string == "0.1.0") }
