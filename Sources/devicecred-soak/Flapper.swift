/// Moves the proxy between pass-through and the faults every second or few: pass-through for 1-3 s, then
/// a fault for 0.5-1.5 s, the faults dealt from a shuffled deck so each kind comes up as often as the others.
struct Flapper: Sendable {
    let proxy: FaultProxy

    /// Flaps until cancelled, then passes through.
    func run() async {
        var deck: [FaultMode] = []
        defer { proxy.switchTo(.passThrough) }
        while !Task.isCancelled {
            proxy.switchTo(.passThrough)
            guard (try? await Task.sleep(for: .milliseconds(Int.random(in: 1000...3000)))) != nil else { return }
            if deck.isEmpty { deck = FaultMode.faults.shuffled() }
            proxy.switchTo(deck.removeLast())
            guard (try? await Task.sleep(for: .milliseconds(Int.random(in: 500...1500)))) != nil else { return }
        }
    }
}
