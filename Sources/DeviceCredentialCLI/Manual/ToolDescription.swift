import ArgumentParser
import FoundationEssentials

/// The parts of ArgumentParser's `--experimental-dump-help` document (ToolInfoV0) the man page uses.
struct ToolDescription: Decodable {
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var shouldDisplay: Bool
        var isOptional: Bool
        var names: [Name]?
        var valueName: String?
        var defaultValue: String?
        var allValues: [String]?
        var allValueDescriptions: [String: String]?
        var abstract: String?
        var discussion: String?
    }

    var command: Command

    init(json: String) throws {
        self = try JSONDecoder().decode(ToolDescription.self, from: Data(json.utf8))
    }

    /// The document `devicecred --experimental-dump-help` prints, asked for the way that flag is: parsing
    /// it throws ArgumentParser's request to print the document, and the request's message is the document.
    static func json(of command: any ParsableCommand.Type = DevicecredCommand.self) throws -> String {
        do {
            _ = try command.parseAsRoot(["--experimental-dump-help"])
        } catch {
            guard command.exitCode(for: error) == .success else { throw error }
            return command.fullMessage(for: error)
        }
        throw ValidationError("\(command) parsed --experimental-dump-help as an argument")
    }
}
