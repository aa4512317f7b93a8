public import ArgumentParser
import DeviceCredentialAgent
import Logging

// The values of --prompt and --pin-prompt are the kinds' names: help and completions list them, and
// a wrong one is a usage error that names the right ones.
extension PrompterKind: ExpressibleByArgument {}
extension PINPrompterKind: ExpressibleByArgument {}

/// `--log-level`: one of swift-log's levels, by its name.
struct LogLevelArgument: ExpressibleByArgument {
    var level: Logger.Level

    init(_ level: Logger.Level) {
        self.level = level
    }

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    var defaultValueDescription: String { level.rawValue }

    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }

    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `--fatigue-window` and `--fatigue-cooldown`: a number of minutes, more than 0 and at most a day
/// (fractions allowed, so a test can use seconds).
struct Minutes: ExpressibleByArgument {
    var minutes: Double

    init(_ minutes: Double) {
        self.minutes = minutes
    }

    init?(argument: String) {
        guard let minutes = Double(argument), minutes.isFinite, minutes > 0, minutes <= 1440 else { return nil }
        self.minutes = minutes
    }

    var seconds: Double { minutes * 60 }

    var defaultValueDescription: String {
        minutes.rounded() == minutes ? "\(Int(minutes))" : "\(minutes)"
    }
}
