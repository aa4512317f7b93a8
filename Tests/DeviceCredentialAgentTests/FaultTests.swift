import DeviceCredential
import DeviceCredentialTestSupport
import Foundation
import Testing

/// The agent keeps working through outages and tells about what it cannot fix.
@Suite("devicecred-agent under faults")
struct FaultTests {
    let home: TestHome

    init() throws {
        home = try TestHome()
    }

    private func approvingAgent(interval: String = "0.2") async throws -> RunningProcess {
        try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", interval, "--log-level", "debug"],
            home: home)
    }

    /// The agent reaches the server through a port the test keeps (``SteadyPort``): a server restarted on
    /// its old port could find it taken meanwhile by another test's server or client.
    @Test("server stopped and restarted under a running agent: the next challenge is still answered")
    func serverRestart() async throws {
        let database = home.root + "/server.sqlite"
        let front = try SteadyPort()
        var server = try await PrivateServer(database: database)
        front.forward(to: server.port)
        var backend = server.api
        backend.apiURL = front.url(for: server.apiURL, serverPort: server.port)
        let device = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        let first = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(first).isVerified)

        front.forward(to: nil)
        server.stop()
        try await agent.stderr.waitForLine(containing: "poll failed; backing off")
        #expect(agent.isRunning)

        // Marked while the server is down: nothing can recover before the restart, and the agent may
        // well recover before the restarted server's "listening" line has even been read here.
        let mark = agent.stderr.lines.count
        server = try await PrivateServer(database: database)
        front.forward(to: server.port)
        try await agent.stderr.waitForLine(containing: "polling works again", from: mark, timeout: .seconds(90))
        let second = try await backend.pushChallenge(userID: device.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: mark, timeout: .seconds(90))
        #expect(try await backend.poll(second).isVerified)
        server.stop()
    }

    @Test("credential deleted on the server: reported once, polling of that profile stops, others go on")
    func credentialRevoked() async throws {
        let backend = try TestServices.server()
        let revoked = try await TestDevice.enroll(in: home, backend: backend)
        let kept = try await TestDevice.enroll(in: home, backend: backend)
        let agent = try await approvingAgent()
        try await agent.stderr.waitForLine(containing: "profile=\(revoked.profile.name)")
        try await backend.deleteAuthenticators(userID: revoked.userID)
        try await agent.stderr.waitForLine(containing: "credential revoked on the server")
        let after = agent.stderr.lines.count

        // The other profile is polled three more times; the revoked one never again.
        var mark = after
        for _ in 0..<3 {
            try await agent.stderr.waitForLine(containing: "profile=\(kept.profile.name)", from: mark)
            mark = agent.stderr.lines.count
        }
        let push = try await backend.pushChallenge(userID: kept.userID)
        try await agent.stderr.waitForLine(containing: "challenge approved", from: after)
        #expect(try await backend.poll(push).isVerified)
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit() == 0)
        let lines = agent.stderr.lines
        #expect(lines.count { $0.contains("credential revoked on the server") } == 1)
        // No poll of it after the report (a poll is the nonce's POST .../challenge/sign, then GET
        // .../challenge). The keep-alive's first look at the credential, made as the agent starts, may still
        // be answered after it (a 404 then): that is no poll, and it ends with the poller.
        let pollsAfter = lines.dropFirst(after).filter {
            $0.contains("profile=\(revoked.profile.name)") && $0.contains("/challenge")
        }
        #expect(
            pollsAfter.isEmpty, "the revoked profile polled after its report:\n\(pollsAfter.joined(separator: "\n"))")
    }

    /// Locks a keyring of the test's own: the session's one is shared with tests running in parallel.
    /// The key gets there the way a user's does, through `devicecred enroll` on that session bus.
    @Test("keyring locked then unlocked: the agent waits, then answers")
    func keyringLocked() async throws {
        let backend = try TestServices.server()
        let keyring = try await PrivateSessionBus(keyringPassword: "agent-private-keyring")
        let userID = try await enrollThroughCLI(
            profile: "locked-keyring", in: home, backend: backend, environment: keyring.environment)
        try keyring.lockKeyring()

        let agent = try await RunningProcess.agent(
            ["--prompt", "command", "--prompt-command", "exit 0", "--interval", "0.2", "--log-level", "debug"],
            home: home, environment: keyring.environment)
        try await agent.stderr.waitForLine(containing: "keyring locked; waiting for it to be unlocked")
        let push = try await backend.pushChallenge(userID: userID)
        // Still locked: polls keep failing on the keyring, nothing is answered, the agent keeps running.
        let stillLocked = agent.stderr.lines.count
        try await agent.stderr.waitForLine(containing: "outcome=keyring_locked", from: stillLocked)
        #expect(try await backend.poll(push) == .init(isVerified: false, isConsumed: false))
        #expect(agent.isRunning)

        try keyring.unlockKeyring()
        try await agent.stderr.waitForLine(containing: "polling works again")
        try await agent.stderr.waitForLine(containing: "challenge approved")
        #expect(try await backend.poll(push).isVerified)
        #expect(agent.stderr.lines.count { $0.contains("keyring locked; waiting") } == 1)
    }

    @Test("SIGTERM in the middle of a poll (a server that never answers): clean exit 0")
    func sigtermDuringPoll() async throws {
        let hanging = try HangingServer()
        let backend = try TestServices.server()
        var device = try await TestDevice.enroll(in: home, backend: backend)
        // Point the enrolled profile at a server that accepts and never answers.
        device.profile.apiURL = "http://127.0.0.1:\(hanging.port)/v1"
        try home.profileStore.save(device.profile)
        let agent = try await approvingAgent()
        try hanging.waitForRequest()
        try await agent.stderr.waitForLine(containing: "method=POST")
        agent.signal(SIGTERM)
        // Before libcurl's 15 s timeout could end the exchange: the agent does not wait for it. (The bound
        // tells the two behaviours apart with room for a loaded machine; it measures nothing.)
        #expect(try await agent.waitForExit(timeout: .seconds(12)) == 0)
        #expect(agent.stderr.lines.contains { $0.contains("agent stopped") })
    }
}

/// A loopback TCP server that accepts connections, reads the request, and never answers (a hung service).
final class HangingServer: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private var clients: [Int32] = []

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        guard bound == 0, listen(socket, 8) == 0 else { throw TestFailure("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Blocks until a client connected and sent its request head (bounded by a 30 s receive timeout).
    func waitForRequest() throws {
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let client = accept(socket, nil, nil)
        guard client >= 0 else { throw TestFailure("no request reached the hanging server") }
        clients.append(client)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard recv(client, &buffer, buffer.count, 0) > 0 else { throw TestFailure("the request never came") }
    }

    deinit {
        for client in clients { close(client) }
        close(socket)
    }
}
