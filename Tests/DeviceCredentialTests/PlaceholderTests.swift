import Testing
@testable import DeviceCredential
@Test func placeholder() { #expect(DeviceCredentialVersion.string == "0.1.0") }
