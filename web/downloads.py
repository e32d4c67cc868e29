"""Files leave the server as downloads, never rendered inline by the browser."""

from flask import Response

from engine.models import Attachment


def _disposition(filename: str) -> str:
    safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
    ascii_name = safe.encode("ascii", "ignore").decode() or "archivo"
    return f'attachment; filename="{ascii_name}"'


def attachment_response(item: Attachment) -> Response:
    response = Response(item.content, mimetype=item.content_type)
    response.headers["Content-Disposition"] = _disposition(item.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def file_download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def text_download(body: str, filename: str) -> Response:
    response = Response(body.encode("utf-8"), mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
