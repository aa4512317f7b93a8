import AuthsignalTestDevice
import DeviceCredentialServer
import Foundation
import Testing

/// The TOML subset parser on its own.
@Suite struct TOMLParserTests {
    @Test func scalarsTablesAndArraysOfTables() throws {
        let document = try TOMLParser.parse(
            """
            # a comment
            title = "devicecred"   # trailing comment
            literal = 'C:\\path'
            escaped = "tab\\tquote\\" \\u00e9"
            count = 1_000
            negative = -42
            ratio = 2.5
            exponent = 1e3
            enabled = true
            disabled = false
            list = [ "a", 'b',
              "c", ]   # multi-line with trailing comma
            numbers = [1, 2.5, -3]
            "quoted key" = 1
            dotted.key = "x"

            [server]
            port = 8787

            [actions.signIn]
            defaultOutcome = "CHALLENGE"

            [[actions.signIn.rules]]
            id = "first"
            [[actions.signIn.rules.conditions]]
            field = "ipAddress"

            [[actions.signIn.rules]]
            id = "second"
            """)
        let expected: JSONValue = .object([
            "title": .string("devicecred"),
            "literal": .string("C:\\path"),
            "escaped": .string("tab\tquote\" é"),
            "count": .number(1000),
            "negative": .number(-42),
            "ratio": .number(2.5),
            "exponent": .number(1000),
            "enabled": .bool(true),
            "disabled": .bool(false),
            "list": .array([.string("a"), .string("b"), .string("c")]),
            "numbers": .array([.number(1), .number(2.5), .number(-3)]),
            "quoted key": .number(1),
            "dotted": .object(["key": .string("x")]),
            "server": .object(["port": .number(8787)]),
            "actions": .object([
                "signIn": .object([
                    "defaultOutcome": .string("CHALLENGE"),
                    "rules": .array([
                        .object([
                            "id": .string("first"),
                            "conditions": .array([.object(["field": .string("ipAddress")])]),
                        ]),
                        .object(["id": .string("second")]),
                    ]),
                ])
            ]),
        ])
        #expect(document == expected)
    }

    @Test(arguments: [
        ("a = ", 1, "expected a value"),
        ("a = 1\na = 2", 2, "set twice"),
        ("[t]\n[t]", 2, "defined twice"),
        ("a = \"open", 1, "unterminated"),
        ("a = 1 2", 1, "unexpected text"),
        ("a = {x = 1}", 1, "inline tables"),
        ("a = [[1]]", 1, "nested arrays"),
        ("a = nope", 1, "not a string"),
        ("[a\nb = 1", 1, "expected ']'"),
        ("a = 1\n[a]", 2, "defined twice"),
        ("x = \"\\q\"", 1, "invalid escape"),
        ("= 1", 1, "expected a key"),
    ])
    func errorsNameTheLine(text: String, line: Int, fragment: String) {
        #expect {
            try TOMLParser.parse(text)
        } throws: { error in
            guard let error = error as? TOMLParser.Error else { return false }
            return error.line == line && error.message.contains(fragment)
        }
    }

    /// Found by `devicecred-fuzz toml-config`: a 4 KB key of 2000 parts overflowed the stack.
    @Test(arguments: [17, 2001])
    func keysOfTooManyPartsAreRefused(parts: Int) throws {
        let key = Array(repeating: "a", count: parts).joined(separator: ".")
        for text in [key + " = 1", "[" + key + "]", "[[" + key + "]]"] {
            let error = try #require(throws: TOMLParser.Error.self) { try TOMLParser.parse(text) }
            #expect(error.line == 1 && error.message == "a key or table name has more than 16 parts")
            let config = try #require(throws: ConfigurationError.self) {
                try ConfigFile.decode(Data(text.utf8), isTOML: true, name: "deep.toml")
            }
            #expect(config.description == "deep.toml: TOML line 1: a key or table name has more than 16 parts")
        }
    }

    @Test func keysOfSixteenPartsAreRead() throws {
        let key = Array(repeating: "a", count: 16)
        let document = try TOMLParser.parse(
            "[" + key.joined(separator: ".") + "]\n" + key.joined(separator: ".") + " = 1")
        var value: JSONValue? = document
        for part in key + key {
            value = value.flatMap { if case .object(let members) = $0 { members[part] } else { nil } }
        }
        #expect(value == .number(1))
    }
}

/// The config file: JSON and TOML express the same document.
@Suite struct ConfigFileTests {
    static let json = """
        {
          "tenantId": "tenant-from-file",
          "challengeTtl": 120,
          "pushWebhook": "http://127.0.0.1:9000/hook",
          "actions": {
            "signIn": {
              "defaultOutcome": "CHALLENGE",
              "numberMatching": true,
              "rules": [
                {"id": "blocked-ip", "priority": 1, "outcome": "BLOCK",
                 "conditions": [{"field": "ipAddress", "op": "in", "value": ["10.0.0.1", "10.0.0.2"]}]},
                {"id": "big", "priority": 2, "outcome": "CHALLENGE",
                 "conditions": [{"field": "custom.amount", "op": ">", "value": 1000}]}
              ]
            },
            "viewBalance": {"defaultOutcome": "ALLOW"}
          }
        }
        """

    static let toml = """
        tenantId = "tenant-from-file"
        challengeTtl = 120
        pushWebhook = "http://127.0.0.1:9000/hook"

        [actions.signIn]
        defaultOutcome = "CHALLENGE"
        numberMatching = true

        [[actions.signIn.rules]]
        id = "blocked-ip"
        priority = 1
        outcome = "BLOCK"
        [[actions.signIn.rules.conditions]]
        field = "ipAddress"
        op = "in"
        value = ["10.0.0.1", "10.0.0.2"]

        [[actions.signIn.rules]]
        id = "big"
        priority = 2
        outcome = "CHALLENGE"
        [[actions.signIn.rules.conditions]]
        field = "custom.amount"
        op = ">"
        value = 1000

        [actions.viewBalance]
        defaultOutcome = "ALLOW"
        """

    @Test func jsonAndTOMLDecodeToTheSameConfig() throws {
        let fromJSON = try ConfigFile.decode(Data(Self.json.utf8), isTOML: false)
        let fromTOML = try ConfigFile.decode(Data(Self.toml.utf8), isTOML: true)
        #expect(fromJSON == fromTOML)
        #expect(fromJSON.actions?["signIn"]?.rules.map(\.id) == ["blocked-ip", "big"])
        #expect(fromJSON.actions?["viewBalance"]?.numberMatching == false)

        var configuration = ServerConfiguration()
        try fromTOML.apply(to: &configuration)
        #expect(configuration.tenantId == "tenant-from-file")
        #expect(configuration.secretKey == ServerConfiguration.devSecretKey)
        #expect(configuration.challengeTTL == 120)
        #expect(configuration.pushWebhookURL?.absoluteString == "http://127.0.0.1:9000/hook")
        #expect(configuration.actions["signIn"]?.numberMatching == true)
    }

    @Test func loadPicksTheFormatByExtension() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tomlPath = directory.appendingPathComponent("server.toml").path
        let jsonPath = directory.appendingPathComponent("server.json").path
        try Data(Self.toml.utf8).write(to: URL(fileURLWithPath: tomlPath))
        try Data(Self.json.utf8).write(to: URL(fileURLWithPath: jsonPath))
        #expect(try ConfigFile.load(path: tomlPath) == ConfigFile.load(path: jsonPath))
        #expect(throws: ConfigurationError.self) {
            try ConfigFile.load(path: directory.appendingPathComponent("no").path)
        }
    }

    @Test func badDocumentsGiveSpecificErrors() {
        func message(_ text: String, toml: Bool) -> String {
            do {
                _ = try ConfigFile.decode(Data(text.utf8), isTOML: toml)
                return "decoded"
            } catch {
                return error.description
            }
        }
        #expect(message(#"{"actions": {"a": {"defaultOutcome": "MAYBE"}}}"#, toml: false).contains("defaultOutcome"))
        #expect(message(#"{"challengeTtl": "soon"}"#, toml: false).contains("challengeTtl"))
        #expect(message("[actions.a]\nrules = 3", toml: true).contains("rules"))
        #expect(message("challengeTtl = ", toml: true).contains("TOML line 1"))
        #expect(message("{", toml: false).contains("not valid JSON"))
    }

    /// Applies `text` to a default configuration and validates it; the error's text, or nil when accepted.
    private func refusal(_ text: String, toml: Bool) -> String? {
        do {
            var configuration = ServerConfiguration()
            try ConfigFile.decode(Data(text.utf8), isTOML: toml).apply(to: &configuration)
            try configuration.validate()
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: ["1e300", "1e400", "-5", "0", "86401", "-1e400"])
    func durationsOutOfBoundsAreRefusedNamingTheKey(value: String) {
        for key in ["challengeTtl", "idleTimeout"] {
            let toml = refusal("\(key) = \(value)", toml: true)
            #expect(
                toml?.contains(key) == true || toml?.contains("TOML line 1") == true, "\(key): \(toml ?? "accepted")")
            // JSON cannot hold a number that overflows a Double: the document itself is refused.
            let json = refusal(#"{"\#(key)": \#(value)}"#, toml: false)
            let expected = Double(value)?.isFinite == true ? key : "not valid JSON"
            #expect(json?.contains(expected) == true, "\(key): \(json ?? "accepted")")
        }
    }

    @Test(arguments: ["inf", "nan", "+inf", "-inf"])
    func nonFiniteDurationsAreRefused(value: String) {
        #expect(refusal("challengeTtl = \(value)", toml: true)?.contains("TOML line 1") == true)
        #expect(refusal(#"{"challengeTtl": \#(value)}"#, toml: false) != nil)
        var configuration = ServerConfiguration()
        configuration.challengeTTL = Double(value)!
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.idleTimeout = Double(value)!
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    /// A rule priority that does not fit an Int is refused, never trapped on. (Foundation's decoder reports
    /// it as invalid JSON without naming the field; the TOML line is valid, so that message is the same.)
    @Test(arguments: ["1e300", "1e19", "99999999999999999999", "-1e300"])
    func rulePrioritiesThatOverflowAnIntAreRefused(value: String) {
        let toml = """
            [[actions.signIn.rules]]
            id = "r"
            priority = \(value)
            outcome = "BLOCK"
            conditions = []
            """
        #expect(refusal(toml, toml: true) != nil)
        let json = #"""
            {"actions": {"signIn": {"rules": [{"id": "r", "priority": \#(value), "outcome": "BLOCK", "conditions": []}]}}}
            """#
        #expect(refusal(json, toml: false) != nil)
        #expect(refusal(json.replacingOccurrences(of: value, with: "3"), toml: false) == nil)
    }

    @Test func theLongestDurationsStillServeAChallenge() async throws {
        #expect(refusal("challengeTtl = 86400\nidleTimeout = 86400", toml: true) == nil)
        try await TestServer {
            $0.challengeTTL = ServerConfiguration.maximumDuration
            $0.idleTimeout = ServerConfiguration.maximumDuration
        }.run { harness in
            let device = TestDevice()
            try await harness.enroll(device, as: "alice")
            let tracked = try await harness.track("alice")
            let challengeId = try #require(try await harness.startPush(tracked.token).string("challengeId"))
            let shown = try await harness.getChallenge(device)
            #expect(shown.string("challengeId") == challengeId)
            #expect(shown.json["expiresAt"] as? Int == 1_800_000_000 + 86_400)
        }
    }

    @Test func validationRefusesTheDevSecretOffLoopback() {
        var configuration = ServerConfiguration()
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] {
            configuration.host = host
            #expect(throws: Never.self) { try configuration.validate() }
        }
        for host in ["0.0.0.0", "192.168.1.10", "::", "example.com"] {
            configuration.host = host
            #expect(throws: ConfigurationError.self) { try configuration.validate() }
        }
        configuration.secretKey = "a-real-secret"
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func rulesFromAConfigFileDriveTrack() async throws {
        let file = try ConfigFile.decode(Data(Self.toml.utf8), isTOML: true)
        try await TestServer { configuration in
            configuration.actions = file.actions ?? [:]
        }.run { harness in
            #expect(try await harness.track("alice", "viewBalance").state == "ALLOW")
            let blocked = try await harness.track("alice", "signIn", ["ipAddress": "10.0.0.2"])
            #expect(blocked.state == "BLOCK" && blocked.reply.json["ruleIds"] as? [String] == ["blocked-ip"])
        }
    }
}
