import HTTPTypes
import Hummingbird

/// The hosted page's responses: one page layout, and the headers every answer carries.
enum HTMLResponse {
    /// A complete page around `content`. `refreshSeconds` makes the browser load it again (the waiting page
    /// polls that way, without JavaScript); `redirect` is the action's redirect target, if any.
    static func page(
        _ title: String,
        _ content: HTML,
        status: HTTPResponse.Status = .ok,
        refreshSeconds: Int? = nil,
        redirect: RedirectTarget? = nil
    ) -> Response {
        let refresh: HTML = refreshSeconds.map { "\n<meta http-equiv=\"refresh\" content=\"\(String($0))\">" } ?? ""
        let document: HTML = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">\(refresh)
            <title>\(title) - devicecred-server</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 3rem auto; padding: 0 1rem;
                   line-height: 1.5; color: #1b1b1b; }
            .code { font-size: 2.5rem; font-weight: bold; font-variant-numeric: tabular-nums; white-space: nowrap; }
            button, .button { font: inherit; padding: 0.5rem 1rem; }
            footer { margin-top: 3rem; color: #666; font-size: 0.85rem; }
            </style>
            </head>
            <body>
            <main>
            <h1>\(title)</h1>
            \(content)
            </main>
            <footer>devicecred-server: a local stand-in for Authsignal's hosted sign-in page, for development.</footer>
            </body>
            </html>

            """
        return Response(
            status: status,
            headers: headers(contentType: "text/html; charset=utf-8", redirect: redirect),
            body: .init(byteBuffer: ByteBuffer(string: document.markup))
        )
    }

    /// `303 See Other` to `location`, which is this server's own path or the action's redirect target.
    static func seeOther(_ location: String, redirect: RedirectTarget? = nil) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8", redirect: redirect)
        headers[.location] = location
        return Response(status: .seeOther, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "")))
    }

    /// The URLs carry the token: no caching, no `Referer`. Nothing may load or run but inline style, and
    /// forms post only here, or to the redirect origin a form's 303 chain may end at.
    private static func headers(contentType: String, redirect: RedirectTarget?) -> HTTPFields {
        let formAction = ["'self'", redirect?.origin].compactMap { $0 }.joined(separator: " ")
        return [
            .contentType: contentType,
            .cacheControl: "no-store",
            .referrerPolicy: "no-referrer",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'unsafe-inline'; form-action \(formAction); "
                + "base-uri 'none'; frame-ancestors 'none'",
        ]
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
