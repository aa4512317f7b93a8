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
        var isRepeating: Bool
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
}
