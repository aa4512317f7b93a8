import Foundation
import Testing

@testable import DeviceCredential

@Suite("Known answers: encodings and signatures")
struct KnownAnswerTests {
    @Test("the public key is a 91-byte P-256 SPKI whose base64 is 124 characters with the fixed header")
    func publicKeyEncoding() throws {
        let key = try SoftwareSigningKey()
        let der = key.publicKey.derRepresentation
        #expect(der.count == 91)
        #expect(
            Array(der.prefix(27)) == [
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
                0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
            ])
        let base64 = key.publicKey.base64Representation
        #expect(base64.count == 124)
        #expect(base64.hasPrefix("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"))
        #expect(Data(base64Encoded: base64).map(Array.init) == der)
    }

    @Test("the query form is base64url without padding of the base64 string's UTF-8 bytes")
    func queryEncoding() throws {
        let key = try SoftwareSigningKey()
        let query = key.publicKey.queryRepresentation
        #expect(!query.contains("=") && !query.contains("+") && !query.contains("/"))
        var standard = query.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        let decoded = try #require(Data(base64Encoded: standard))
        #expect(String(decoding: decoded, as: UTF8.self) == key.publicKey.base64Representation)
        // A fixed vector: 124 base64 characters encode to 166 unpadded base64url characters.
        #expect(query.count == 166)
        #expect(Base64.urlEncodeUnpadded(Array("MFk".utf8)) == "TUZr")
        #expect(Base64.urlEncodeUnpadded([0xFB, 0xFF]) == "-_8")
    }

    @Test("the Basic header is base64 of '<tenantId>:', standard alphabet, padded")
    func basicHeader() {
        #expect(
            ProtocolEncoding.basicAuthorization(tenantID: "11111111-2222-4333-8444-555555555555")
                == "Basic MTExMTExMTEtMjIyMi00MzMzLTg0NDQtNTU1NTU1NTU1NTU1Og==")
    }

    @Test("the remove window is floor(t / 600) rendered as a Double")
    func removeWindow() {
        #expect(ProtocolEncoding.removeWindowMessage(unixSeconds: 1_795_915_200) == "2993192.0")
        #expect(ProtocolEncoding.removeWindowMessage(unixSeconds: 1_795_915_799.9) == "2993192.0")
        #expect(ProtocolEncoding.removeWindowMessage(unixSeconds: 1_795_915_800) == "2993193.0")
    }

    @Test("a signature made here verifies with the openssl command line, and fails on another message")
    func signatureVerifiesWithOpenSSL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try SoftwareSigningKey()
        let message = "challenge-\(UUID().uuidString)"
        let signature = try key.signature(for: message)
        #expect((70...72).contains(signature.derRepresentation.count))
        #expect(signature.derRepresentation.first == 0x30)

        let pem =
            "-----BEGIN PUBLIC KEY-----\n"
            + Data(key.publicKey.derRepresentation).base64EncodedString(
                options: .lineLength64Characters) + "\n-----END PUBLIC KEY-----\n"
        try pem.write(toFile: directory.path + "/pub.pem", atomically: true, encoding: .utf8)
        try Data(signature.derRepresentation).write(to: URL(fileURLWithPath: directory.path + "/sig.der"))
        try message.write(toFile: directory.path + "/msg", atomically: true, encoding: .utf8)
        try "tampered".write(toFile: directory.path + "/other", atomically: true, encoding: .utf8)

        let verify = [
            "dgst", "-sha256", "-verify", directory.path + "/pub.pem", "-signature", directory.path + "/sig.der",
        ]
        let good = try await runProgram("/usr/bin/openssl", verify + [directory.path + "/msg"])
        #expect(good.status == 0)
        #expect(good.output.contains("Verified OK"))
        let bad = try await runProgram("/usr/bin/openssl", verify + [directory.path + "/other"])
        #expect(bad.status != 0)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: "tampered"))
    }

    @Test("a key's PKCS#8 form reads in openssl and loads back as the same key")
    func pkcs8RoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try SoftwareSigningKey()
        let material = try key.keyMaterial()
        #expect(material.kind == .software)
        let der = material.withUnsafeDERBytes { Data($0) }
        try der.write(to: URL(fileURLWithPath: directory.path + "/key.der"))
        let parsed = try await runProgram(
            "/usr/bin/openssl",
            [
                "pkey", "-inform", "DER", "-in", directory.path + "/key.der", "-pubout", "-outform", "DER",
                "-out", directory.path + "/pub.der",
            ])
        #expect(parsed.status == 0, "\(parsed.output)")
        let publicFromOpenSSL = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/pub.der"))
        #expect(Array(publicFromOpenSSL) == key.publicKey.derRepresentation)

        let reloaded = try SoftwareKeyFactory().loadKey(from: material)
        #expect(reloaded.publicKey == key.publicKey)
        #expect(key.publicKey.isValidSignature(try reloaded.signature(for: "x"), for: "x"))
    }

    @Test("a key that is not P-256 is refused with invalid_key")
    func refusesOtherCurves() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let generated = try await runProgram(
            "/usr/bin/openssl",
            [
                "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-outform", "DER",
                "-out", directory.path + "/p384.der",
            ])
        #expect(generated.status == 0)
        let der = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/p384.der"))
        #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
            try SoftwareSigningKey(pkcs8DERRepresentation: Array(der))
        }
        #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
            try SoftwareSigningKey(pkcs8DERRepresentation: [0x30, 0x03, 0x02, 0x01, 0x00])
        }
        #expect(throws: DeviceCredentialError(code: .invalidKey, message: "")) {
            try DevicePublicKey(derRepresentation: Array(der.prefix(91)))
        }
    }

    @Test("the API URL must be https, except to loopback")
    func httpsRequired() throws {
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try DeviceProfile(apiURL: "http://api.example.com/v1", tenantID: "t")
        }
        for url in [
            "https://api.authsignal.com/v1", "http://127.0.0.1:8080/v1", "http://localhost:1/v1/", "http://[::1]:9/v1",
        ] {
            _ = try DeviceProfile(apiURL: url, tenantID: "t")
        }
        // Names that only start like a loopback address may be anywhere: plain http to them is refused.
        for url in ["http://127.evil.example/v1", "http://127.0.0.1.example.com/v1", "http://127.0.0.256/v1"] {
            #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: ""), "\(url)") {
                try DeviceProfile(apiURL: url, tenantID: "t")
            }
        }
        #expect(throws: DeviceCredentialError(code: .invalidConfiguration, message: "")) {
            try DeviceProfile(name: "../etc", apiURL: "https://api.authsignal.com/v1", tenantID: "t")
        }
    }
}
