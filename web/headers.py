"""Security headers on every response."""

from flask import Response

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


# The diagram editor and viewer (bpmn-js) set style attributes on the SVG they draw.
DIAGRAM_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; style-src 'self' 'unsafe-inline'"


def allow_diagram_styles(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DIAGRAM_CONTENT_SECURITY_POLICY
    return response


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        # Pages show personal data: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
