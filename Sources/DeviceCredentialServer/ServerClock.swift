public import Foundation

/// Where the server reads the time: injected so tests can move past an expiry without sleeping.
public protocol ServerClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemServerClock: ServerClock {
    public init() {}
    public func now() -> Date { Date() }
}
