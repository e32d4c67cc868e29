"""The default run's mail catcher: a local SMTP server that keeps every message as a .eml file.

``python -m workers.mail.catcher --dir instance/mail --smtp-port 8025 --http-port 8026``
accepts mail on 127.0.0.1:8025 and lists it at http://127.0.0.1:8026/ (subject, recipients,
date; each message readable as text or downloadable as .eml).
"""

import argparse
import email
import email.policy
import html
import itertools
import signal
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class EmlWriter:
    """aiosmtpd handler: writes each message, with its envelope, to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = self.directory / f"{stamp}-{next(self._sequence):05d}.eml"
        header = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        tmp = path.with_suffix(".part")
        tmp.write_bytes(header + envelope.original_content)
        tmp.rename(path)
        return "250 Message accepted for delivery"


def read_messages(directory: Path) -> list[tuple[Path, email.message.EmailMessage]]:
    """The caught messages, newest first."""
    paths = sorted(Path(directory).glob("*.eml"), reverse=True)
    return [
        (p, email.message_from_bytes(p.read_bytes(), policy=email.policy.default)) for p in paths
    ]


def _listing_page(directory: Path) -> str:
    rows = []
    for path, message in read_messages(directory):
        rows.append(
            "<tr><td>{date}</td><td>{to}</td><td><a href='/ver/{name}'>{subject}</a></td>"
            "<td><a href='/eml/{name}'>.eml</a></td></tr>".format(
                date=html.escape(str(message["Date"] or "")),
                to=html.escape(str(message["To"] or "")),
                subject=html.escape(str(message["Subject"] or "(sin asunto)")),
                name=html.escape(path.name),
            )
        )
    body = "\n".join(rows) or "<tr><td colspan='4'>Aún no hay correos.</td></tr>"
    return (
        "<!doctype html><html lang='es'><meta charset='utf-8'>"
        "<title>Correos enviados – Atención Virtual</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;"
        "border-bottom:1px solid #ddd;text-align:left}</style>"
        f"<h1>Correos enviados ({directory})</h1>"
        "<table><tr><th>Fecha</th><th>Para</th><th>Asunto</th><th></th></tr>"
        f"{body}</table></html>"
    )


def _message_page(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = message.get_body(preferencelist=("html", "plain"))
    content = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/plain":
        content = f"<pre>{html.escape(content)}</pre>"
    headers = "".join(
        f"<div><b>{name}:</b> {html.escape(str(message[name] or ''))}</div>"
        for name in ("Date", "From", "To", "Subject", "Message-ID")
    )
    return (
        "<!doctype html><html lang='es'><meta charset='utf-8'>"
        f"<p><a href='/'>← Correos</a></p>{headers}<hr>{content}</html>"
    )


def listing_handler(directory: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                self._reply(200, _listing_page(directory), "text/html; charset=utf-8")
                return
            prefix, _, name = self.path.lstrip("/").partition("/")
            path = directory / name
            if (
                prefix not in {"ver", "eml"}
                or "/" in name
                or not name.endswith(".eml")
                or not path.is_file()
            ):
                self._reply(404, "No encontrado", "text/plain; charset=utf-8")
            elif prefix == "ver":
                self._reply(200, _message_page(path), "text/html; charset=utf-8")
            else:
                self._reply(200, path.read_bytes(), "message/rfc822")

        def _reply(self, status: int, body: str | bytes, content_type: str) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Captura el correo saliente en archivos .eml")
    parser.add_argument("--dir", default="instance/mail", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", default=8025, type=int)
    parser.add_argument("--http-port", default=8026, type=int, help="0 = sin página de listado")
    args = parser.parse_args()

    directory = args.dir.resolve()
    controller = Controller(EmlWriter(directory), hostname=args.host, port=args.smtp_port)
    controller.start()
    http = None
    if args.http_port:
        http = ThreadingHTTPServer((args.host, args.http_port), listing_handler(directory))
        threading.Thread(target=http.serve_forever, daemon=True).start()
    print(
        f"Correo: SMTP en {args.host}:{args.smtp_port}, archivos en {directory}"
        + (f", listado en http://{args.host}:{args.http_port}/" if http else ""),
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        time.sleep(0.5)
    if http is not None:
        http.shutdown()
    controller.stop()


if __name__ == "__main__":
    main()
