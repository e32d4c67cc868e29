"""Operations: health and readiness probes, Prometheus metrics, JSON logs with request ids."""

import hmac
import logging
import re
import time
import uuid
from functools import cache
from ipaddress import ip_address, ip_network

from flask import Flask, Response, abort, current_app, g, request
from sqlalchemy import inspect

from web.extensions import db
from web.ops import logs, metrics
from web.ops.health import bp

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Path parameters worth carrying in every log line of the request.
LOGGED_VIEW_ARGS = ("instance_id", "incident_id", "task_id", "radicado", "case_id")
access_log = logging.getLogger("web.access")


@cache
def _networks(spec: str) -> tuple:
    return tuple(ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def metrics_allowed() -> bool:
    """A scrape is allowed with the configured bearer token or from an allowed network."""
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header.startswith("Bearer ") else ""
    if token and bearer and hmac.compare_digest(bearer.encode(), token.encode()):
        return True
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in net for net in _networks(current_app.config["METRICS_NETWORKS"]))


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    if not metrics_allowed():
        abort(403)
    body = metrics.render(db.session, current_app.extensions["clock"].now())
    db.session.rollback()
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")


def _start_request() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    logs.clear()
    logs.bind(
        request_id=g.request_id,
        **{k: v for k, v in (request.view_args or {}).items() if k in LOGGED_VIEW_ARGS},
    )


def _finish_request(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
    metrics.REQUEST_SECONDS.labels(endpoint=endpoint, method=request.method).observe(elapsed)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "endpoint": endpoint,
            "duration_ms": round(elapsed * 1000, 1),
            # The id from the identity map: a user the request's commit expired is not reloaded.
            "user_id": inspect(g.user).identity[0] if g.get("user") is not None else None,
        },
    )
    return response


def init_app(app: Flask) -> None:
    logs.configure(app.config["LOG_LEVEL"], fmt=app.config["LOG_FORMAT"])
    # The access line replaces the development server's own (which shows query strings).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # every task state change
    metrics.count_task_completions()
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(lambda _exc: logs.clear())
