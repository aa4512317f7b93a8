import DeviceCredential
import Foundation
import HTTPTypes

/// The agent's figures, measured on the release `devicecred-agent` next to this binary, polling the
/// bench's local server with the command prompter:
/// - idle resident memory (goal: at most 20 MB),
/// - CPU time per poll,
/// - time from a challenge's creation to its prompt at the default 5 s interval (median, p99).
enum AgentBenchmarks {
    static func run(server: BenchServer) async throws -> [BenchmarkResult] {
        let sandbox = try AgentSandbox(server: server)
        defer { sandbox.remove() }
        let device = try await sandbox.enroll()
        var results: [BenchmarkResult] = []
        results += try await idleFigures(sandbox)
        results += try await promptLatency(sandbox, user: device)
        return results
    }

    /// RSS and CPU of an agent polling fast (0.1 s), so many polls happen in a short run.
    private static func idleFigures(_ sandbox: AgentSandbox) async throws -> [BenchmarkResult] {
        let agent = try sandbox.startAgent(interval: "0.1", command: "exit 2")
        defer { agent.stop() }
        try await agent.waitForPolls(20)
        let cpuBefore = try agent.cpuSeconds()
        let pollsBefore = agent.polls
        try await agent.waitForPolls(pollsBefore + 200)
        let cpu = try agent.cpuSeconds() - cpuBefore
        let polls = agent.polls - pollsBefore
        let rss = try agent.status("VmRSS")
        let peak = try agent.status("VmHWM")
        let anonymous = try agent.status("RssAnon")
        let proportional = try agent.proportionalSetSize()
        return [
            BenchmarkResult(
                name: "agent idle RSS", value: rss / 1024, unit: "MB",
                note: "goal ≤ 20 MB; peak \(String(format: "%.1f", peak / 1024)) MB, after \(agent.polls) polls; "
                    + "private (RssAnon) \(String(format: "%.1f", anonymous / 1024)) MB, "
                    + "PSS \(String(format: "%.1f", proportional / 1024)) MB: the rest is shared library pages"),
            BenchmarkResult(
                name: "agent CPU per poll", value: cpu / Double(polls) * 1000, unit: "ms",
                note: "\(polls) polls (nonce + signed GET each), user+system time"),
        ]
    }

    /// Challenges started at random moments against an agent at the default interval.
    private static func promptLatency(_ sandbox: AgentSandbox, user: String) async throws -> [BenchmarkResult] {
        let stamps = sandbox.root + "/prompted"
        let agent = try sandbox.startAgent(interval: nil, command: "date +%s.%N >> '\(stamps)'; exit 1")
        defer { agent.stop() }
        try await agent.waitForPolls(1)
        let count = Int(ProcessInfo.processInfo.environment["DEVICECRED_BENCH_AGENT_CHALLENGES"] ?? "") ?? 20
        var sample = LatencySample()
        for index in 0..<count {
            // A random phase against the poll schedule, as real sign-ins have.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<5000)))
            let denied = agent.count("] challenge denied")
            try await sandbox.startPush(user: user)
            let created = Date().timeIntervalSince1970
            try await agent.waitForLine("] challenge denied", count: denied + 1, timeout: 30)
            let lines = try String(contentsOfFile: stamps, encoding: .utf8).split(separator: "\n")
            guard lines.count == index + 1, let prompted = Double(lines.last!) else {
                throw BenchFailure("the prompt command did not record challenge \(index + 1)")
            }
            sample.record((prompted - created) * 1000)
        }
        let note = "\(count) challenges, default 5 s interval (±10% jitter); command prompter timestamp"
        return [
            BenchmarkResult(
                name: "agent challenge-to-prompt median", value: sample.percentile(50), unit: "ms", note: note),
            BenchmarkResult(
                name: "agent challenge-to-prompt p99", value: sample.percentile(99), unit: "ms", note: note),
        ]
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway XDG tree with enrolled profiles (file key store unless told), and the agent processes run in it.
struct AgentSandbox {
    let server: BenchServer
    let root: String
    let profileStore: ProfileStore
    let keyStore: FileKeyStore

    init(server: BenchServer) throws {
        self.server = server
        root = FileManager.default.temporaryDirectory.appendingPathComponent("agent-bench-\(UUID().uuidString)").path
        for directory in ["config", "data", "run"] {
            try FileManager.default.createDirectory(
                atPath: root + "/" + directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        profileStore = ProfileStore(directory: root + "/config/devicecred")
        keyStore = FileKeyStore(directory: root + "/data/devicecred/keys")
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Enrolls a new user's credential through the library; returns the user id. The Secret Service store
    /// is the session's keyring (with-services.sh gives the bench a throwaway one).
    func enroll(keyStore kind: KeyStoreKind = .file, profile name: String = "bench") async throws -> String {
        let user = "agent-bench-" + UUID().uuidString.lowercased()
        let (state, token) = try await track(user: user, action: "enroll")
        guard state == "ALLOW" else { throw BenchFailure("enrollment track gave \(state)") }
        let profile = try DeviceProfile(name: name, apiURL: server.baseURL, tenantID: server.tenantID, keyStore: kind)
        let store: any KeyStore = kind == .file ? keyStore : SecretServiceKeyStore()
        let client = try DeviceCredentialClient(profile: profile, keyStore: store, transport: CurlTransport())
        _ = try await client.addCredential(token: token)
        try profileStore.save(profile)
        return user
    }

    func startPush(user: String) async throws {
        let (state, token) = try await track(user: user, action: "signIn")
        guard state == "CHALLENGE_REQUIRED" else { throw BenchFailure("track gave \(state)") }
        _ = try await call(
            "POST", "/client/challenge/push", authorization: "Bearer " + token, body: ["action": "signIn"])
    }

    private func track(user: String, action: String) async throws -> (String, String) {
        let basic = "Basic " + Data((server.secretKey + ":").utf8).base64EncodedString()
        let json = try await call("POST", "/users/\(user)/actions/\(action)", authorization: basic, body: [:])
        return (json["state"] as? String ?? "", json["token"] as? String ?? "")
    }

    private func call(_ method: String, _ path: String, authorization: String, body: [String: Any]) async throws
        -> [String: Any]
    {
        guard let requestMethod = HTTPRequest.Method(method), let url = URL(string: server.baseURL + path) else {
            throw BenchFailure("\(method) \(path) is not a request")
        }
        let (response, answer) = try await CurlTransport().send(
            HTTPRequest(
                method: requestMethod, url: url,
                headerFields: [.authorization: authorization, .contentType: "application/json"]),
            body: try JSONSerialization.data(withJSONObject: body))
        guard response.status == .ok else { throw BenchFailure("\(method) \(path): HTTP \(response.status.code)") }
        return try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
    }

    func startAgent(interval: String?, command: String) throws -> AgentUnderTest {
        var arguments = ["--prompt", "command", "--prompt-command", command, "--log-level", "debug"]
        if let interval { arguments += ["--interval", interval] }
        return try AgentUnderTest(
            binary: try Self.sibling("devicecred-agent"), arguments: arguments, environment: environment)
    }

    /// This process's environment with the sandbox's XDG directories.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = root + "/config"
        environment["XDG_DATA_HOME"] = root + "/data"
        environment["XDG_RUNTIME_DIR"] = root + "/run"
        return environment
    }

    /// The built executable `name` next to this benchmark.
    static func sibling(_ name: String) throws -> String {
        let binary =
            URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchFailure("\(binary) is missing: build the release products first")
        }
        return binary
    }
}

/// A running agent whose stderr lines are counted as they arrive.
final class AgentUnderTest: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var pollLines = 0  // counted as they arrive: rescanning 10,000 polls' lines every 10 ms would load the CPU
    private var partial = Data()

    init(binary: String, arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { self?.append(data) }
        }
        try process.run()
    }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        partial.append(data)
        while let newline = partial.firstIndex(of: 0x0A) {
            let line = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
            if line.contains(Self.pollLine) { pollLines += 1 } else { lines.append(line) }
            partial.removeSubrange(partial.startIndex...newline)
        }
    }

    private static let pollLine = "] polled"

    func count(_ text: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return text == Self.pollLine ? pollLines : lines.count { $0.contains(text) }
    }

    var polls: Int { count(Self.pollLine) }

    /// Waits (bounded) until `count` lines contain `text`; checks every 10 ms.
    func waitForLine(_ text: String, count wanted: Int, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while count(text) < wanted {
            guard process.isRunning, Date() < deadline else {
                throw BenchFailure("the agent did not log '\(text)' \(wanted) times")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func waitForPolls(_ wanted: Int, timeout: Double = 120) async throws {
        try await waitForLine(Self.pollLine, count: wanted, timeout: timeout)
    }

    /// A `/proc/PID/status` field in kB.
    func status(_ field: String) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({
                Double($0)
            })
        else { throw BenchFailure("no \(field) in /proc status") }
        return value
    }

    /// The proportional set size in kB (shared pages divided among the processes mapping them).
    func proportionalSetSize() throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(process.processIdentifier)/smaps_rollup", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
            let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({
                Double($0)
            })
        else { throw BenchFailure("no Pss in /proc smaps_rollup") }
        return value
    }

    /// User + system CPU seconds so far.
    func cpuSeconds() throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // Fields after the command name, which is in parentheses and may hold spaces.
        guard let close = text.lastIndex(of: ")") else { throw BenchFailure("unreadable /proc stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchFailure("unreadable /proc stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
