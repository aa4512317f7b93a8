import DeviceCredential
import FoundationEssentials
import Logging

/// Keeps the profile's credential from expiring on the server (see ``CredentialKeepAlive``).
extension ProfilePoller {
    /// Until cancelled: looks at the credential, renews it or tells the person, and waits for the next look.
    func keepCredentialAlive() async {
        let blocking = BlockingWorkExecutor(label: "devicecred.keepalive.\(profile.name)")
        let client = self.client
        var lastRenewal: (at: Date, moved: Bool)?
        var lastPINWarning: Date?
        var seen: AppCredential?
        while !Task.isCancelled {
            var nextCheck: TimeInterval = 300  // the server or the key could not be asked: again in 5 minutes
            let credential: AppCredential? =
                if let seen { seen } else { try? await blocking.run { try await client.getCredential() } }
            seen = nil
            if let credential, let needsPIN = try? await blocking.run({ try client.localKeyRequiresPIN() }) {
                let plan = CredentialKeepAlive.plan(
                    credential, now: clock.now, keyNeedsPIN: needsPIN, lastRenewal: lastRenewal,
                    lastPINWarning: lastPINWarning)
                nextCheck = plan.nextCheck
                switch plan.step {
                case .none:
                    break
                case .renew:
                    do {
                        var renewed = try await blocking.run { try await client.updateCredential(resetExpiry: true) }
                        renewed.verifiedAt = renewed.verifiedAt ?? credential.verifiedAt
                        let moved = (renewed.expiresAt ?? .distantPast) > (credential.expiresAt ?? .distantPast)
                        lastRenewal = (clock.now, moved)
                        if moved {
                            logger.info(
                                "credential expiry reset",
                                metadata: ["expiresAt": "\(renewed.expiresAt.map(\.description) ?? "-")"])
                        } else {
                            logger.warning("the server did not move the credential's expiry; trying again later")
                        }
                        seen = renewed
                        continue  // planned again at once from the renewed credential
                    } catch {
                        logger.warning("could not reset the credential's expiry", metadata: ["error": "\(error)"])
                        nextCheck = min(nextCheck, 300)
                    }
                case .askForPINRenewal(let expiresAt):
                    lastPINWarning = clock.now
                    let option = profile.name == DeviceProfile.defaultName ? "" : " --profile \(profile.name)"
                    logger.warning(
                        "the credential expires soon and its key needs a PIN: renew it by hand",
                        metadata: [
                            "expiresAt": "\(expiresAt)", "fix": "devicecred refresh --reset-expiry\(option)",
                        ])
                    let own = (prompter as? PromptRouter)?.own ?? prompter
                    if let reminding = own as? any ReminderShowing {
                        let reminder = Reminder.renewByHand(profile: profile.name, expiresAt: expiresAt)
                        do { try await reminding.remind(reminder) } catch {
                            logger.notice("the reminder could not be shown", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
            do {
                try await Task.sleep(for: .seconds(nextCheck), clock: .continuous)
            } catch {
                return
            }
        }
    }
}
