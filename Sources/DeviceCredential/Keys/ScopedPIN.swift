/// A PIN that applies to the signatures made inside one scope: for callers that ask the person first
/// and sign after, as the CLI and the agent do.
///
///     let client = try DeviceCredentialClient(profile: profile, pinProvider: ScopedPIN.provider)
///     try await ScopedPIN.$pin.withValue(typedPIN) {
///         try await client.updateChallenge(challengeId: id, approved: true)
///     }
///
/// Outside a scope ``provider`` answers nil, so a background `getChallenge()` never blocks on a
/// prompt: it falls back to the unsigned request.
public enum ScopedPIN {
    /// The PIN for signatures made by this task and its child tasks.
    @TaskLocal public static var pin: String?

    /// Answers signature requests with the scope's PIN; nil outside a scope and for new keys.
    public static let provider: TPMPINProvider = { request in
        request.purpose == .signing ? pin : nil
    }
}
