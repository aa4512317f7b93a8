import Foundation

/// The `redirectUrl` the backend gave to `track` (with the secret key): the only place the hosted page
/// sends the browser back to. Nothing the browser sends can choose it.
struct RedirectTarget: Sendable {
    private let components: URLComponents
    /// `scheme://host[:port]`, for the page's `form-action`.
    let origin: String

    /// Nil unless `url` is an absolute http or https URL with a plain host name or address.
    init?(_ url: String) {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) })
        else { return nil }
        self.components = components
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        origin = "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
    }

    init?(of action: ActionRecord) {
        guard let url = action.attributes.redirectUrl else { return nil }
        self.init(url)
    }

    /// The URL with `token=TOKEN` added to its query (`?` or `&`), before any fragment.
    func url(withToken token: String) -> String {
        var components = components
        let parameter = "token=\(HostedPageURL.queryValue(token))"
        if let query = components.percentEncodedQuery, !query.isEmpty {
            components.percentEncodedQuery = query + "&" + parameter
        } else {
            components.percentEncodedQuery = parameter
        }
        return components.string ?? ""
    }
}
