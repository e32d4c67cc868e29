"""Security headers on every response, and HSTS on every response served over HTTPS."""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# One year; browsers then refuse plain HTTP to this host (and its subdomains).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, read the client's scheme, host and address
    from their X-Forwarded-* headers; with none configured those headers are ignored, so a
    client cannot claim HTTPS (or another address) by sending them."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


# The diagram editor and viewer (bpmn-js) set style attributes on the SVG they draw.
DIAGRAM_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; style-src 'self' 'unsafe-inline'"


def allow_diagram_styles(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DIAGRAM_CONTENT_SECURITY_POLICY
    return response


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if response.mimetype == "text/html":
        # Pages show personal data: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
