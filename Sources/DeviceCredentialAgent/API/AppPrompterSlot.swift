import DeviceCredentialLocking

/// The app registered as the agent's prompter (`RegisterPrompter`), one at a time, like a polkit
/// authentication agent: its unique bus name and the object the agent calls. Only the registrant can
/// unregister; when its name leaves the bus the slot empties (the bus service hears NameOwnerChanged).
final class AppPrompterSlot: Sendable {
    struct Registrant: Equatable, Sendable {
        /// The unique name (`:1.42`) the registration came from: the only one ever asked.
        var busName: String
        var objectPath: String
    }

    enum Refusal: Error, Equatable {
        /// Another app holds the slot.
        case taken(by: Registrant)
        /// Unregister from someone who is not the registrant, or for another object.
        case notRegistrant
    }

    private let registrant = Locked<Registrant?>(nil)
    /// Fired on every change: a prompt that waits on the app learns it left, and falls back.
    let changes = ResumeSignal()

    var current: Registrant? { registrant.withLock { $0 } }

    /// Takes the slot, and returns true; registering again with the same name and object changes
    /// nothing and returns false.
    @discardableResult
    func register(_ newcomer: Registrant) throws(Refusal) -> Bool {
        let changed = try registrant.withLock { (current: inout Registrant?) throws(Refusal) -> Bool in
            if let current, current != newcomer { throw .taken(by: current) }
            defer { current = newcomer }
            return current == nil
        }
        if changed { changes.fire() }
        return changed
    }

    /// Empties the slot when `leaving` holds it.
    func unregister(_ leaving: Registrant) throws(Refusal) {
        guard remove(where: { $0 == leaving }) != nil else { throw .notRegistrant }
    }

    /// The name left the bus: empties the slot when that name held it, and returns whom it removed.
    @discardableResult
    func nameLeft(_ busName: String) -> Registrant? {
        remove { $0.busName == busName }
    }

    private func remove(where matches: (Registrant) -> Bool) -> Registrant? {
        let removed = registrant.withLock { current -> Registrant? in
            guard let held = current, matches(held) else { return nil }
            current = nil
            return held
        }
        if removed != nil { changes.fire() }
        return removed
    }
}
