import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The built `devicecred-server` binary itself: its stdout contract, --url-file, env, signals, refusals.
@Suite struct ExecutableTests {
    /// Next to the test bundle in the build folder (`swift test` builds every product).
    static var binary: URL? {
        if let override = ProcessInfo.processInfo.environment["DEVICECRED_SERVER_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug"),
        ]
        return candidates.map { $0.appendingPathComponent("devicecred-server") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    final class RunningServer {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()
        private(set) var output = ""

        init(arguments: [String], environment: [String: String] = [:]) throws {
            let binary = try #require(ExecutableTests.binary, "devicecred-server was not built next to the tests")
            process.executableURL = binary
            process.arguments = arguments
            var merged = ProcessInfo.processInfo.environment
            merged["AUTHSIGNAL_TENANT_ID"] = nil
            merged["AUTHSIGNAL_SECRET_KEY"] = nil
            process.environment = merged.merging(environment) { $1 }
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
        }

        /// Reads stdout until `lines` complete lines arrived (blocking reads, no polling); nil at EOF.
        func readLines(_ lines: Int) async -> [String]? {
            let handle = stdout.fileHandleForReading
            let text: String? = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var buffer = Data()
                    while buffer.filter({ $0 == 0x0A }).count < lines {
                        let chunk = handle.availableData
                        if chunk.isEmpty {
                            continuation.resume(returning: nil)
                            return
                        }
                        buffer.append(chunk)
                    }
                    continuation.resume(returning: String(decoding: buffer, as: UTF8.self))
                }
            }
            guard let text else { return nil }
            output += text
            return text.split(separator: "\n").map(String.init)
        }

        func stop(signal: Int32 = SIGTERM) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
        }

        var errorOutput: String {
            String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    static func get(_ url: String, basicUser: String) async throws -> (Int, String?, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue(
            "Basic " + Data("\(basicUser):".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), json)
    }

    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("devicecred-\(UUID().uuidString)-\(name)").path
    }

    @Test func announcesWritesTheURLFileServesAndStopsCleanlyOnSIGTERM() async throws {
        let urlFile = temporaryPath("url")
        defer { try? FileManager.default.removeItem(atPath: urlFile) }
        let server = try RunningServer(arguments: ["--port", "0", "--url-file", urlFile, "--log-level", "warning"])
        let lines = try #require(await server.readLines(3))
        let first = try #require(lines.first)
        let match = try #require(
            first.wholeMatch(of: /devicecred-server listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)/))
        let baseURL = String(match.1)
        #expect(Int(match.2)! > 0 && Int(match.2)! != 8787)
        #expect(lines[1].contains("11111111-2222-4333-8444-555555555555"))
        #expect(lines[2].contains("dev_secret_devicecred_local_only"))
        #expect(try String(contentsOfFile: urlFile, encoding: .utf8) == baseURL)

        let (status, contentType, json) = try await Self.get(
            "\(baseURL)/users/alice", basicUser: "dev_secret_devicecred_local_only")
        #expect(status == 200 && contentType == "application/json" && json["isEnrolled"] as? Bool == false)
        #expect(server.stop() == 0)
    }

    @Test func environmentOverridesAndCustomSecretsAreNotPrinted() async throws {
        let server = try RunningServer(
            arguments: ["--port", "0", "--tenant-id", "tenant-from-flag"],
            environment: ["AUTHSIGNAL_TENANT_ID": "tenant-from-env", "AUTHSIGNAL_SECRET_KEY": "s3cr3t-from-env"])
        let lines = try #require(await server.readLines(3))
        #expect(lines[1].contains("tenant-from-flag"))
        #expect(!server.output.contains("s3cr3t-from-env"))
        #expect(lines[2].contains("custom"))
        let baseURL = String(try #require(lines[0].split(separator: " ").last))
        #expect(try await Self.get("\(baseURL)/users/alice", basicUser: "s3cr3t-from-env").0 == 200)
        #expect(try await Self.get("\(baseURL)/users/alice", basicUser: "dev_secret_devicecred_local_only").0 == 401)
        #expect(server.stop(signal: SIGINT) == 0)
    }

    @Test func refusesANonLoopbackHostWithTheDevSecret() async throws {
        let server = try RunningServer(arguments: ["--host", "0.0.0.0", "--port", "0"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.errorOutput.contains("refusing to listen on 0.0.0.0"))
        #expect(await server.readLines(1) == nil)
    }

    @Test func refusesABadConfigFile() async throws {
        let config = temporaryPath("bad.toml")
        try Data("challengeTtl = \n".utf8).write(to: URL(fileURLWithPath: config))
        defer { try? FileManager.default.removeItem(atPath: config) }
        let server = try RunningServer(arguments: ["--port", "0", "--config", config])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.errorOutput.contains("TOML line 1"))
    }

    /// Another local user may plant symlinks at the URL file or at the name its temporary file used to have:
    /// the server replaces the link itself and never writes through it.
    @Test func theURLFileIsWrittenWithoutFollowingPlantedSymlinks() async throws {
        let directory = temporaryPath("urldir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let urlFile = directory + "/url"
        let victims = [directory + "/victim-target", directory + "/victim-temporary"]
        for victim in victims { try Data("precious".utf8).write(to: URL(fileURLWithPath: victim)) }
        try FileManager.default.createSymbolicLink(atPath: urlFile, withDestinationPath: victims[0])
        try FileManager.default.createSymbolicLink(atPath: urlFile + ".tmp", withDestinationPath: victims[1])

        let server = try RunningServer(arguments: ["--port", "0", "--url-file", urlFile, "--log-level", "warning"])
        let lines = try #require(await server.readLines(3))
        let baseURL = String(try #require(lines[0].split(separator: " ").last))
        #expect(server.stop() == 0)

        for victim in victims { #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious") }
        let attributes = try FileManager.default.attributesOfItem(atPath: urlFile)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: urlFile, encoding: .utf8) == baseURL)
        // Nothing is left beside it but what the test planted.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == ["url", "url.tmp", "victim-target", "victim-temporary"])
    }

    @Test(arguments: [
        ["--challenge-ttl", "inf"], ["--challenge-ttl", "1e300"], ["--challenge-ttl", "nan"], ["--challenge-ttl", "0"],
        ["--idle-timeout", "-1"], ["--idle-timeout", "1e300"],
    ])
    func durationsOutOfBoundsStopTheServerNamingTheOption(arguments: [String]) async throws {
        let server = try RunningServer(arguments: ["--port", "0"] + arguments)
        // Either it announces itself (the bug: it listens, and traps later) or its stdout ends as it exits.
        if let announced = await server.readLines(1) {
            _ = server.stop()
            Issue.record("the server started with \(arguments): \(announced)")
            return
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 64)
        let errors = server.errorOutput
        #expect(errors.contains(arguments[0]), "\(errors)")
    }

    @Test func persistsAcrossProcessRestarts() async throws {
        let database = temporaryPath("db.sqlite")
        defer { try? FileManager.default.removeItem(atPath: database) }
        var request = URLRequest(url: URL(string: "http://127.0.0.1/")!)
        for round in 0..<2 {
            let server = try RunningServer(arguments: ["--port", "0", "--database", database])
            let lines = try #require(await server.readLines(3))
            let baseURL = String(try #require(lines[0].split(separator: " ").last))
            if round == 0 {
                request = URLRequest(url: URL(string: "\(baseURL)/users/alice/actions/signIn")!)
                request.httpMethod = "POST"
                request.httpBody = Data(#"{"idempotencyKey":"across-restarts"}"#.utf8)
                request.setValue(
                    "Basic " + Data("dev_secret_devicecred_local_only:".utf8).base64EncodedString(),
                    forHTTPHeaderField: "Authorization")
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
            } else {
                let (status, _, json) = try await Self.get(
                    "\(baseURL)/users/alice/actions/signIn/across-restarts",
                    basicUser: "dev_secret_devicecred_local_only")
                #expect(status == 200 && json["state"] as? String == "ALLOW")
            }
            #expect(server.stop() == 0)
        }
    }
}
