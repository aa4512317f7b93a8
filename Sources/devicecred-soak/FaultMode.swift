/// What the fault proxy does with the agent's requests for a while: pass them on, or one of the faults a
/// real network and service produce (the flapper moves between them every few seconds).
enum FaultMode: String, CaseIterable, Sendable {
    case passThrough = "pass-through"
    /// The port refuses connections (the listener stops listening; the port stays the proxy's).
    case refused = "connection refused"
    /// 500 with an error body; the request never reaches the server.
    case serverError = "500"
    /// 429 with `Retry-After: 1`; the request never reaches the server.
    case tooManyRequests = "429 Retry-After"
    /// The server's answer, a few bytes at a time.
    case slowDrip = "slow drip"
    /// Random bytes instead of an answer (half the time behind a 200 head); the server never sees the request.
    case garbage
    /// The request reaches the server, which acts on it; its answer is cut by a reset in the middle of the body.
    case resetMidBody = "reset mid-body"

    static let faults = allCases.filter { $0 != .passThrough }

    /// Whether the request is sent on to the server in this mode.
    var forwards: Bool { [.passThrough, .slowDrip, .resetMidBody].contains(self) }

    /// Whether the agent gets the server's answer whole in this mode.
    var deliversIntact: Bool { self == .passThrough || self == .slowDrip }
}
