import DeviceCredentialLocking
import Foundation
import Subprocess
import SystemPackage
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

    /// The built server, run by swift-subprocess from a task of its own, in a process group of its own.
    final class RunningServer {
        /// How it ended: an exit status, or the signal that ended it.
        struct Ending: Sendable {
            var status: Int32
            var exited: Bool
        }

        private let pid: Int32
        private let finished: Task<Ending, any Error>
        private var chunks: AsyncStream<[UInt8]>.Iterator
        private let errors: ErrorText
        private(set) var output = ""

        init(arguments: [String], environment: [String: String] = [:]) async throws {
            let binary = try #require(ExecutableTests.binary, "devicecred-server was not built next to the tests")
            var merged = ProcessInfo.processInfo.environment
            merged["AUTHSIGNAL_TENANT_ID"] = nil
            merged["AUTHSIGNAL_SECRET_KEY"] = nil
            var variables: [Subprocess.Environment.Key: String] = [:]
            for (name, value) in merged.merging(environment, uniquingKeysWith: { $1 }) {
                if let key = Subprocess.Environment.Key(rawValue: name) { variables[key] = value }
            }
            var options = PlatformOptions()
            options.processGroupID = 0
            let configuration = Configuration(
                executable: .path(FilePath(binary.path)), arguments: Arguments(arguments),
                environment: .custom(variables), platformOptions: options)
            let (stdout, stdoutSink) = AsyncStream.makeStream(of: [UInt8].self)
            let (started, startedSink) = AsyncThrowingStream.makeStream(of: Int32.self)
            let errors = ErrorText()
            finished = Task {
                defer {
                    stdoutSink.finish()
                    startedSink.finish()
                }
                let result = try await Subprocess.run(
                    configuration, input: .none, output: .sequence, error: .sequence
                ) { execution in
                    startedSink.yield(execution.processIdentifier.value)
                    startedSink.finish()
                    await withTaskGroup(of: Void.self) { streams in
                        // A read error ends a stream as its end would: what came is kept.
                        streams.addTask {
                            do {
                                for try await chunk in execution.standardOutput {
                                    stdoutSink.yield(chunk.withUnsafeBytes { Array($0) })
                                }
                            } catch {}
                            stdoutSink.finish()
                        }
                        streams.addTask {
                            do {
                                for try await chunk in execution.standardError {
                                    errors.append(chunk.withUnsafeBytes { Array($0) })
                                }
                            } catch {}
                        }
                    }
                }
                switch result.terminationStatus {
                case .exited(let code): return Ending(status: code, exited: true)
                case .signaled(let signal): return Ending(status: signal, exited: false)
                }
            }
            self.errors = errors
            chunks = stdout.makeAsyncIterator()
            var startedIterator = started.makeAsyncIterator()
            guard let pid = try await startedIterator.next() else {
                _ = try await finished.value  // the reason it did not start
                throw ProcessStartFailure()
            }
            self.pid = pid
        }

        deinit {
            // Still running (a test that failed half-way): its group goes with it.
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == 0 {
                kill(-pid, SIGKILL)
            }
        }

        /// Reads stdout until `lines` complete lines arrived; nil when it ends first.
        func readLines(_ lines: Int) async -> [String]? {
            var buffer: [UInt8] = []
            while buffer.filter({ $0 == 0x0A }).count < lines {
                guard let chunk = await chunks.next() else { return nil }
                buffer += chunk
            }
            let text = String(decoding: buffer, as: UTF8.self)
            output += text
            return text.split(separator: "\n").map(String.init)
        }

        /// Sends `signal` and waits for it to end: its exit status, or minus the signal that ended it.
        func stop(signal: Int32 = SIGTERM) async -> Int32 {
            kill(pid, signal)
            let ending = await ended()
            return ending.exited ? ending.status : -ending.status
        }

        /// Waits for it to end by itself.
        func ended() async -> Ending {
            (try? await finished.value) ?? Ending(status: -1, exited: false)
        }

        /// Everything it wrote to stderr, once it has ended.
        var errorOutput: String {
            get async {
                _ = await ended()
                return String(decoding: errors.bytes, as: UTF8.self)
            }
        }
    }

    /// stderr as it arrives, shared with the task that reads it.
    final class ErrorText: Sendable {
        private let collected = Locked<[UInt8]>([])
        func append(_ bytes: [UInt8]) { collected.withLock { $0 += bytes } }
        var bytes: [UInt8] { collected.withLock { $0 } }
    }

    struct ProcessStartFailure: Error {}

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
        let server = try await RunningServer(arguments: [
            "--port", "0", "--url-file", urlFile, "--log-level", "warning",
        ])
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
        #expect(await server.stop() == 0)
    }

    @Test func environmentOverridesAndCustomSecretsAreNotPrinted() async throws {
        let server = try await RunningServer(
            arguments: ["--port", "0", "--tenant-id", "tenant-from-flag"],
            environment: ["AUTHSIGNAL_TENANT_ID": "tenant-from-env", "AUTHSIGNAL_SECRET_KEY": "s3cr3t-from-env"])
        let lines = try #require(await server.readLines(3))
        #expect(lines[1].contains("tenant-from-flag"))
        #expect(!server.output.contains("s3cr3t-from-env"))
        #expect(lines[2].contains("custom"))
        let baseURL = String(try #require(lines[0].split(separator: " ").last))
        #expect(try await Self.get("\(baseURL)/users/alice", basicUser: "s3cr3t-from-env").0 == 200)
        #expect(try await Self.get("\(baseURL)/users/alice", basicUser: "dev_secret_devicecred_local_only").0 == 401)
        #expect(await server.stop(signal: SIGINT) == 0)
    }

    @Test func refusesANonLoopbackHostWithTheDevSecret() async throws {
        let server = try await RunningServer(arguments: ["--host", "0.0.0.0", "--port", "0"])
        #expect(await server.ended().status != 0)
        #expect(await server.errorOutput.contains("refusing to listen on 0.0.0.0"))
        #expect(await server.readLines(1) == nil)
    }

    @Test func refusesABadConfigFile() async throws {
        let config = temporaryPath("bad.toml")
        try Data("challengeTtl = \n".utf8).write(to: URL(fileURLWithPath: config))
        defer { try? FileManager.default.removeItem(atPath: config) }
        let server = try await RunningServer(arguments: ["--port", "0", "--config", config])
        #expect(await server.ended().status != 0)
        #expect(await server.errorOutput.contains("TOML line 1"))
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

        let server = try await RunningServer(arguments: [
            "--port", "0", "--url-file", urlFile, "--log-level", "warning",
        ])
        let lines = try #require(await server.readLines(3))
        let baseURL = String(try #require(lines[0].split(separator: " ").last))
        #expect(await server.stop() == 0)

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
        let server = try await RunningServer(arguments: ["--port", "0"] + arguments)
        // Either it announces itself (the bug: it listens, and traps later) or its stdout ends as it exits.
        if let announced = await server.readLines(1) {
            _ = await server.stop()
            Issue.record("the server started with \(arguments): \(announced)")
            return
        }
        let ending = await server.ended()
        #expect(ending.exited && ending.status == 64)
        let errors = await server.errorOutput
        #expect(errors.contains(arguments[0]), "\(errors)")
    }

    @Test func persistsAcrossProcessRestarts() async throws {
        let database = temporaryPath("db.sqlite")
        defer { try? FileManager.default.removeItem(atPath: database) }
        var request = URLRequest(url: URL(string: "http://127.0.0.1/")!)
        for round in 0..<2 {
            let server = try await RunningServer(arguments: ["--port", "0", "--database", database])
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
            #expect(await server.stop() == 0)
        }
    }
}
