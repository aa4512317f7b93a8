import Foundation

/// The hosted page's own URLs, absolute paths on this server.
enum HostedPageURL {
    static let push = "/v1/ui/push"

    static func wait(token: String, challengeId: String) -> String {
        "/v1/ui/wait?token=\(queryValue(token))&challengeId=\(queryValue(challengeId))"
    }

    /// Percent-encodes everything but the unreserved characters, so a value cannot end the parameter.
    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
