import Testing

@testable import DeviceCredentialAgent

/// The registration rules (one app at a time, only the registrant unregisters, its name leaving empties
/// the slot) and the per-challenge ShowChallenge asks, without a bus.
@Suite("app prompter slot and show-again asks")
struct AppPrompterSlotTests {
    let first = AppPrompterSlot.Registrant(busName: ":1.7", objectPath: "/app/one")
    let second = AppPrompterSlot.Registrant(busName: ":1.8", objectPath: "/app/two")

    @Test("one app at a time: a second is refused, the same one again is fine and changes nothing")
    func oneAtATime() throws {
        let slot = AppPrompterSlot()
        #expect(try slot.register(first))
        let changes = slot.changes.count
        #expect(try !slot.register(first))
        #expect(slot.changes.count == changes)
        #expect(throws: AppPrompterSlot.Refusal.taken(by: first)) { try slot.register(second) }
        #expect(slot.current == first)
    }

    @Test("only the registrant, with its object, unregisters; its name leaving empties the slot and says so")
    func leaving() throws {
        let slot = AppPrompterSlot()
        try slot.register(first)
        #expect(throws: AppPrompterSlot.Refusal.notRegistrant) { try slot.unregister(second) }
        #expect(throws: AppPrompterSlot.Refusal.notRegistrant) {
            try slot.unregister(.init(busName: first.busName, objectPath: "/elsewhere"))
        }
        #expect(slot.nameLeft(second.busName) == nil)
        let changes = slot.changes.count
        #expect(slot.nameLeft(first.busName) == first)
        #expect(slot.current == nil)
        #expect(slot.changes.count == changes + 1)
        try slot.register(second)
        try slot.unregister(second)
        #expect(slot.current == nil)
    }

    @Test("a ShowChallenge ask wakes the wait for that challenge only, also when it came before the wait")
    func showAgainPerChallenge() async {
        let asks = ShowAgainRequests()
        let seen = asks.count(for: "a")
        asks.request("b")
        asks.request("a")
        await asks.wait(for: "a", after: seen)  // returns: "a" was asked after `seen`
        #expect(asks.count(for: "a") == 1)
        asks.forget("a")
        #expect(asks.count(for: "a") == 0)
        #expect(asks.count(for: "b") == 1)
        let waiting = Task { await asks.wait(for: "b", after: 1) }
        asks.request("a")
        asks.request("b")
        await waiting.value
        #expect(asks.count(for: "b") == 2)
    }
}
