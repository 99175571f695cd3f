"""The security headers every response carries, pages, API, feeds and errors alike.

The pages have no JavaScript and no inline styles, so the Content-Security-Policy can
forbid both: an injected ``<script>`` or ``onerror=`` would not run even if escaping
failed somewhere. The public API stays readable from any origin (CORS ``*``) but never
with credentials: there are no cookies or logins to share.
"""

from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=63072000; includeSubDomains"


def apply(response: Response, *, https: bool) -> Response:
    """Set the headers on ``response``; HSTS only when the public address is https."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # open data: other sites may embed the CSV and feeds
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    headers["Access-Control-Expose-Headers"] = "X-Request-Id, ETag"  # scripts in browsers revalidate too
    headers.pop("Access-Control-Allow-Credentials", None)
    headers.pop("Server", None)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return response
