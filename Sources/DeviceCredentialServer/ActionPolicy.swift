import Foundation

/// What an action leads to before enrollment is considered.
public enum ActionOutcome: String, Sendable, Codable, CaseIterable {
    case allow = "ALLOW"
    case challenge = "CHALLENGE"
    case review = "REVIEW"
    case block = "BLOCK"
}

/// How one action code is decided: a default outcome, rules that may override it, and number matching.
public struct ActionPolicy: Sendable, Hashable, Codable {
    public var defaultOutcome: ActionOutcome
    public var numberMatching: Bool
    public var rules: [Rule]

    public init(defaultOutcome: ActionOutcome = .challenge, numberMatching: Bool = false, rules: [Rule] = []) {
        self.defaultOutcome = defaultOutcome
        self.numberMatching = numberMatching
        self.rules = rules
    }

    /// Applied to action codes the configuration does not name.
    public static let unconfigured = ActionPolicy()

    enum CodingKeys: String, CodingKey { case defaultOutcome, numberMatching, rules }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        defaultOutcome = try container.decodeIfPresent(ActionOutcome.self, forKey: .defaultOutcome) ?? .challenge
        numberMatching = try container.decodeIfPresent(Bool.self, forKey: .numberMatching) ?? false
        rules = try container.decodeIfPresent([Rule].self, forKey: .rules) ?? []
    }

    /// The outcome for `attributes` of `userId`: the first matching rule by ascending priority, else the default.
    func decide(userId: String, attributes: TrackedAttributes) -> (outcome: ActionOutcome, ruleIds: [String]) {
        let ordered = rules.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
        for (_, rule) in ordered where rule.matches(userId: userId, attributes: attributes) {
            return (rule.outcome, [rule.id])
        }
        return (defaultOutcome, [])
    }
}

/// A rule: when all its conditions hold, the action gets `outcome`.
public struct Rule: Sendable, Hashable, Codable {
    public var id: String
    public var priority: Int
    public var outcome: ActionOutcome
    public var conditions: [Condition]

    public init(id: String, priority: Int = 0, outcome: ActionOutcome, conditions: [Condition]) {
        self.id = id
        self.priority = priority
        self.outcome = outcome
        self.conditions = conditions
    }

    enum CodingKeys: String, CodingKey { case id, priority, outcome, conditions }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        outcome = try container.decode(ActionOutcome.self, forKey: .outcome)
        conditions = try container.decode([Condition].self, forKey: .conditions)
    }

    func matches(userId: String, attributes: TrackedAttributes) -> Bool {
        !conditions.isEmpty && conditions.allSatisfy { $0.holds(for: Self.attribute($0.field, userId, attributes)) }
    }

    /// Reads `ipAddress`, `userAgent`, `deviceId`, `redirectUrl`, `scope`, `userId` or `custom.<path>`.
    private static func attribute(_ field: String, _ userId: String, _ attributes: TrackedAttributes) -> JSONValue? {
        switch field {
        case "userId": return .string(userId)
        case "ipAddress": return attributes.ipAddress.map(JSONValue.string)
        case "userAgent": return attributes.userAgent.map(JSONValue.string)
        case "deviceId": return attributes.deviceId.map(JSONValue.string)
        case "redirectUrl": return attributes.redirectUrl.map(JSONValue.string)
        case "scope": return attributes.scope.map(JSONValue.string)
        default:
            guard field.hasPrefix("custom.") else { return nil }
            return attributes.custom?.value(atPath: field.dropFirst("custom.".count))
        }
    }
}

/// One comparison of a tracked attribute with a configured value.
public struct Condition: Sendable, Hashable, Codable {
    public enum Operator: String, Sendable, Codable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
        case lessThan = "<"
        case lessThanOrEqual = "<="
        case isIn = "in"
        case notIn = "notIn"
        case contains
    }

    public var field: String
    public var op: Operator
    public var value: JSONValue

    public init(field: String, op: Operator, value: JSONValue) {
        self.field = field
        self.op = op
        self.value = value
    }

    /// A missing attribute satisfies only `!=` and `notIn`.
    func holds(for attribute: JSONValue?) -> Bool {
        switch op {
        case .equal: return attribute.map { Self.equal($0, value) } ?? false
        case .notEqual: return attribute.map { !Self.equal($0, value) } ?? true
        case .isIn, .notIn:
            guard case .array(let members) = value else { return false }
            let found = attribute.map { attribute in members.contains { Self.equal(attribute, $0) } } ?? false
            return op == .isIn ? found : !found
        case .contains:
            guard case .string(let text) = attribute, case .string(let needle) = value else { return false }
            return text.contains(needle)
        case .greaterThan, .greaterThanOrEqual, .lessThan, .lessThanOrEqual:
            guard let lhs = attribute.flatMap(Self.number), let rhs = Self.number(value) else { return false }
            switch op {
            case .greaterThan: return lhs > rhs
            case .greaterThanOrEqual: return lhs >= rhs
            case .lessThan: return lhs < rhs
            default: return lhs <= rhs
            }
        }
    }

    private static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if let left = number(lhs), let right = number(rhs) { return left == right }
        return lhs == rhs
    }

    /// Numbers, and strings that read as numbers (amounts often arrive as strings).
    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): return number
        case .string(let text): return Double(text)
        default: return nil
        }
    }
}
