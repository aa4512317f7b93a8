import DeviceCredential
import FoundationEssentials
import Logging

/// Runs every check in the order a missing prompt is usually explained: the session and its keyring,
/// the notification server, the PIN and TPM, each profile, then the agent.
struct Doctor {
    /// The profile to check, or nil for every enrolled profile.
    var profileName: String?
    var logger: Logger

    func run() async -> DoctorReport {
        var checks: [DoctorCheck] = []
        let profiles: [DeviceProfile]
        do {
            profiles = try selectedProfiles()
            checks.append(
                profiles.isEmpty
                    ? .fail("profiles", "none enrolled on this machine", fix: "devicecred enroll")
                    : .ok("profiles", profiles.map(\.name).joined(separator: ", ")))
        } catch {
            profiles = []
            let fix =
                profileName.map { "devicecred enroll --profile \($0), or see devicecred profiles" }
                ?? "see devicecred profiles"
            checks.append(.fail("profiles", ProfileChecks.describe(error), fix: fix))
        }
        // Enrolling without --key-store uses the Secret Service, so with no profile yet it is needed too.
        let needsKeyring = profiles.isEmpty || profiles.contains { $0.keyStore == .secretService }
        let (busCheck, probe) = SessionChecks.sessionBus()
        checks.append(busCheck)
        if let probe {
            checks += SessionChecks.secretService(probe, needed: needsKeyring)
            checks += NotificationChecks.run(probe)
        }

        var needsPIN = false
        for profile in profiles where profile.keyKind == .tpm {
            let key = try? DeviceCredentialClient(profile: profile, logger: logger).localKeySummary()
            needsPIN = needsPIN || key?.requiresPIN == true
        }
        checks.append(DeviceChecks.pinentry(needed: needsPIN))
        let tpm = DeviceChecks.tpm(needed: profiles.contains { $0.keyKind == .tpm })
        checks.append(tpm)
        if tpm.status == .ok {
            checks.append(await TPMLockoutCheck.run(needed: needsPIN, tcti: DeviceChecks.currentTCTI()))
        }

        for profile in profiles {
            checks += await ProfileChecks(profile: profile, logger: logger, now: { Date() }).run()
        }
        checks += await AgentChecks.run()
        return DoctorReport(checks: checks)
    }

    private func selectedProfiles() throws -> [DeviceProfile] {
        let store = try ProfileStore.standard()
        guard let profileName else { return try store.profiles() }
        guard let profile = try store.profile(named: profileName) else {
            throw CommandFailure.notEnrolled(profile: profileName)
        }
        return [profile]
    }
}
