import MicroHTTPD

/// The embedded Webhooks page: plain HTML, CSS and JavaScript served from the binary (no CDN, no build step).
enum AdminPage {
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ]

    static var index: HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")] + securityHeaders,
                     body: Array(html.utf8))
    }

    static func asset(named name: String) -> HTTPResponse? {
        switch name {
        case "app.css":
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8")] + securityHeaders,
                                body: Array(css.utf8))
        case "app.js":
            return HTTPResponse(status: 200,
                                headers: [("Content-Type", "text/javascript; charset=utf-8")] + securityHeaders,
                                body: Array(javascript.utf8))
        default:
            return nil
        }
    }
}
