import DeviceCredential
import FoundationEssentials
import Logging

/// The prompter of an agent that offers its D-Bus API: asks the app registered as prompter
/// (`RegisterPrompter`) when there is one, else the agent's own prompter, and asks again on
/// `ShowChallenge`.
///
/// - When the app unregisters, leaves the bus or fails its `Ask`, the challenge in flight goes to the
///   agent's own prompter at once.
/// - A prompt left unanswered (a dismissed notification, an app's `dismiss`) does not end the challenge
///   here: it stays open (listed, answerable over D-Bus) until answered elsewhere, expired, or shown
///   again with `ShowChallenge` (`devicecred challenge --show`).
struct PromptRouter: ChallengePrompter {
    var own: any ChallengePrompter
    var slot: AppPrompterSlot
    var apps: any AppPrompterAsking
    var showAgain: ShowAgainRequests
    /// Told when the app's answer decides, so the history names the app.
    var board: AgentBoard
    var logger: Logger

    private enum Step: Sendable {
        case decided(PromptDecision, byApp: Bool)
        case ownFailed(any Error)
        case appFailed(AppPrompterSlot.Registrant, AppPrompterFailure)
        case prompterChanged
        case showAgain
    }

    func prompt(_ request: PromptRequest) async throws -> PromptDecision {
        let id = request.challenge.challengeId
        var logger = self.logger
        logger[metadataKey: "challengeId"] = "\(DisplayText.terminal(id))"
        var asking = request
        // An app whose Ask failed is not asked again about this challenge (unless shown again).
        var failedApp: AppPrompterSlot.Registrant?
        var dismissed = false
        while true {
            let (shows, changes) = (showAgain.count(for: id), slot.changes.count)
            let app = slot.current.flatMap { $0 == failedApp ? nil : $0 }
            let step = await firstStep(
                asking, app: dismissed ? nil : app, ownAsked: !dismissed && app == nil, shows: shows, changes: changes)
            try Task.checkCancellation()
            guard let step else { throw CancellationError() }
            switch step {
            case .decided(.unanswered, let byApp):
                if byApp {
                    logger.info("the app prompter left the challenge unanswered; still open for ShowChallenge")
                } else {
                    logger.info("challenge left unanswered; still open: devicecred challenge --show asks again")
                }
                dismissed = true
            case .decided(let decision, let byApp):
                if byApp {
                    logger.info("decision received from the app prompter")
                    board.decidedByAppPrompter(id)
                }
                return decision
            case .ownFailed(let error):
                throw error
            case .appFailed(let failed, let failure):
                logger.warning(
                    "the app prompter did not answer; asking with the agent's own prompter",
                    metadata: [
                        "error":
                            "\(DisplayText.terminal(failure.errorName ?? "")) \(DisplayText.terminal(failure.message))",
                        "appGone": "\(failure.appIsGone)",
                    ])
                if failure.appIsGone { slot.nameLeft(failed.busName) } else { failedApp = failed }
            case .prompterChanged:
                logger.notice("the app prompter unregistered or left the bus; asking with the agent's own prompter")
            case .showAgain:
                logger.info("asked to show the challenge again")
                (dismissed, failedApp) = (false, nil)
            }
            asking = Self.timeLeftNow(request)
        }
    }

    /// What ends this round first: an answer (from `app`, else from the own prompter when `ownAsked`), a
    /// failure, the app going, or a ShowChallenge; nil when cancelled.
    private func firstStep(
        _ request: PromptRequest, app: AppPrompterSlot.Registrant?, ownAsked: Bool, shows: Int, changes: Int
    ) async -> Step? {
        let (own, apps, slot, showAgain) = (self.own, self.apps, self.slot, self.showAgain)
        let id = request.challenge.challengeId
        return await withTaskGroup(of: Step?.self) { group in
            group.addTask {
                await showAgain.wait(for: id, after: shows)
                return Task.isCancelled ? nil : .showAgain
            }
            if let app {
                group.addTask {
                    do {
                        return .decided(try await apps.ask(app, request), byApp: true)
                    } catch let failure as AppPrompterFailure {
                        return .appFailed(app, failure)
                    } catch {
                        return nil  // cancelled
                    }
                }
                group.addTask {
                    var seen = changes
                    while slot.current == app {
                        await slot.changes.wait(after: seen)
                        guard !Task.isCancelled else { return nil }
                        seen = slot.changes.count
                    }
                    return .prompterChanged
                }
            } else if ownAsked {
                group.addTask {
                    do {
                        return .decided(try await own.prompt(request), byApp: false)
                    } catch is CancellationError {
                        return nil
                    } catch {
                        return .ownFailed(error)
                    }
                }
            }
            defer { group.cancelAll() }
            for await step in group {
                if let step { return step }
            }
            return nil
        }
    }

    /// The request with the time left counted again, for a prompt shown later than the first.
    private static func timeLeftNow(_ request: PromptRequest) -> PromptRequest {
        var request = request
        request.timeLeft = request.challenge.expiresAt.map { PromptRequest.duration(seconds: $0.timeIntervalSinceNow) }
        return request
    }
}
