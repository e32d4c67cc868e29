"""The workers' pieces on their own: templates, legacy adapters, the mail catcher, sampling."""

import json
import smtplib
import threading
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from tests.workers.harness import free_port
from workers.errors import PermanentFailure, TransientFailure
from workers.legacy import DemoAdapter, HttpAdapter, SqlAdapter
from workers.mail import smtp
from workers.mail.catcher import EmlWriter, listing_handler, read_messages
from workers.mail.message import build_message, message_id_for
from workers.mail.rendering import render, template_names
from workers.operators.audit_sample import allocate, draw
from workers.operators.monthly_report import month_before, percentile
from workers.settings import RedisLocation, SmtpSettings

CASE = {
    "radicado": "AV-2026-000123", "tipo": "reclamo", "tipo_nombre": "Reclamo", "modalidad": "",
    "servicio": "Crédito educativo", "asunto": "Cobro duplicado",
    "radicada_en": "martes 10 de marzo de 2026, 8:00 a. m.",
    "vence_primera_respuesta": "miércoles 11 de marzo de 2026, 8:00 a. m.",
    "vence_legal": "martes 31 de marzo de 2026", "vence_area": "martes 17 de marzo de 2026",
    "dias_legales": 15, "area": "area_fondos", "area_nombre": "Vicepresidencia de Fondos",
    "respuesta": "El cobro fue reversado.", "dias_prorroga": 5, "motivos_prorroga": "Volumen.",
    "primera_respuesta_forma": "fecha", "respuesta_prometida_para": "viernes 20 de marzo de 2026",
    "solicitud_informacion_en": "martes 10 de marzo de 2026, 8:00 a. m.",
    "vence_informacion": "viernes 10 de abril de 2026",
}  # fmt: skip
CONTEXT = {
    "caso": CASE, "destinatario": "María", "saludo": "Equipo Fondos", "responsable": "Fondos",
    "enlace_caso": "http://portal.test/mis-casos/AV-2026-000123", "adjuntos": [],
    "datos": {"informe": "Texto del informe", "periodo": "2026-03",
              "respuesta": "El cobro fue reversado.", "solicitud": "Falta el extracto."},
    "nombre": "María", "enlace": "http://portal.test/cuenta/verificar/x", "horas": 24,
    "ingreso": "http://portal.test/cuenta/ingresar", "minutos": 60, "pie_ciudadano": True,
    "enlace_consulta": "http://portal.test/consulta",
    # The monthly report (report_mail) and the failure report (failure_report).
    "periodo": "marzo de 2026", "interventores": "Inés", "version": 3,
    "archivos": ["informe-mensual-2026-03-v3.pdf", "informe-mensual-2026-03-v3.xlsx"],
    "lider": "Coordinación", "fallas": [
        {"radicado": "AV-2026-000123", "termino": "Término legal", "vencia": "1 abr 2026",
         "horas": 5.5, "pendiente": True, "estado": "En trámite"}],
}  # fmt: skip


def test_every_template_renders_a_spanish_subject_text_and_html():
    names = template_names()
    assert {"acuse", "escalamiento", "asignacion", "prorroga", "respuesta_final",
            "informe_auditoria", "alerta_legal", "recordatorio_area", "fecha_respuesta",
            "solicitud_informacion", "desistimiento"} <= set(names)  # fmt: skip
    for name in names:
        mail = render(name, CONTEXT)
        assert mail.subject and "\n" not in mail.subject
        assert "ICETEX" in mail.text and "<html" in mail.html
    assert render("escalamiento", CONTEXT).text.count("martes 31 de marzo de 2026") == 1


def test_a_reclamo_is_never_written_about_in_the_feminine():
    """The texts hold for a solicitud, a queja, a reclamo and a felicitación alike."""
    for name in ("respuesta_final", "escalamiento", "acuse"):
        mail = render(name, CONTEXT)
        for body in (mail.text, mail.html):
            assert "reclamo radicada" not in body and "Radicada el" not in body
            assert "la trasladamos" not in body and "la\ntrasladamos" not in body


def test_citizen_mails_link_to_their_case_and_staff_mails_carry_no_citizen_footer():
    citizen = render("acuse", {**CONTEXT, "datos": {"codigo_consulta": "ABCD-2345"}})
    assert "Consulte su caso en el portal" in citizen.text
    assert CONTEXT["enlace_caso"] in citizen.text and CONTEXT["enlace_caso"] in citizen.html
    assert "ABCD-2345" in citizen.text and "http://portal.test/consulta" in citizen.html
    staff = render("asignacion", {**CONTEXT, "pie_ciudadano": False})
    assert "mensaje automático" in staff.text
    assert "Consulte" not in staff.text and "Consulte" not in staff.html
    # The final answer names the link in its body (and the survey under it); the footer does
    # not repeat it.
    answer = render("respuesta_final", CONTEXT).text
    assert answer.count(CONTEXT["enlace_caso"] + "\n") == 1
    assert "Consulte su caso en el portal" not in answer


def test_the_message_id_follows_from_the_outbox_key():
    key = "12:3f1c"
    assert message_id_for(key, "A <a@icetex.test>") == message_id_for(key, "A <a@icetex.test>")
    assert message_id_for(key, "A <a@icetex.test>") != message_id_for("13:x", "A <a@icetex.test>")
    message = build_message(key, render("acuse", CONTEXT), "A <a@icetex.test>", ["m@x.test"],
                            datetime(2026, 3, 10, tzinfo=UTC))  # fmt: skip
    assert message["Message-ID"].endswith("@icetex.test>")


def test_the_demo_adapter_knows_the_demo_citizens():
    adapter = DemoAdapter()
    record = adapter.lookup("cctex", "1012345678")
    assert record["nombre"] == "María Fernanda Gómez" and record["creditos"]
    assert adapter.lookup("cctex", "000") is None


def _json_server(status: int, body: dict) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = json.dumps({**body, "path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_http_adapter_reads_records_and_tells_transient_failures_apart():
    ok = _json_server(200, {"creditos": []})
    down = _json_server(503, {})
    try:
        url = f"http://127.0.0.1:{ok.server_port}/{{sistema}}/{{documento}}"
        assert HttpAdapter(url, 2).lookup("cobol", "52 1")["path"] == "/cobol/52%201"
        with pytest.raises(TransientFailure):
            HttpAdapter(f"http://127.0.0.1:{down.server_port}/{{sistema}}", 2).lookup("c", "1")
        with pytest.raises(TransientFailure):
            HttpAdapter(f"http://127.0.0.1:{free_port()}/{{sistema}}", 2).lookup("c", "1")
    finally:
        ok.shutdown()
        down.shutdown()


def test_the_sql_adapter_runs_the_configured_query(tmp_path):
    url = f"sqlite:///{tmp_path / 'legado.db'}"
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE cartera (sistema TEXT, documento TEXT, saldo NUMERIC)"))
        conn.execute(text("INSERT INTO cartera VALUES ('cctex', '52000111', 1500000)"))
    adapter = SqlAdapter(url, "SELECT saldo FROM cartera WHERE sistema = :sistema "
                              "AND documento = :documento")  # fmt: skip
    assert adapter.lookup("cctex", "52000111") == {"registros": [{"saldo": 1500000}]}
    assert adapter.lookup("cobol", "52000111") is None
    with pytest.raises(PermanentFailure):
        SqlAdapter(url, "SELECT nada FROM no_existe").lookup("cctex", "1")


def test_the_catcher_keeps_each_message_as_eml_and_lists_it(tmp_path):
    port = free_port()
    controller = Controller(EmlWriter(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    page = ThreadingHTTPServer(("127.0.0.1", 0), listing_handler(tmp_path))
    threading.Thread(target=page.serve_forever, daemon=True).start()
    try:
        message = EmailMessage()
        message["Subject"] = "Radicamos su reclamo AV-2026-000123"
        message["From"] = "a@icetex.test"
        message["To"] = "m@x.test"
        message.set_content("Hola")
        smtp.send(message, ["m@x.test"], SmtpSettings(port=port, timeout=5))
        [(path, stored)] = read_messages(tmp_path)
        assert path.suffix == ".eml" and stored["Subject"] == message["Subject"]
        listing = urllib.request.urlopen(f"http://127.0.0.1:{page.server_port}/").read().decode()
        assert "AV-2026-000123" in listing
    finally:
        page.shutdown()
        controller.stop()


def test_smtp_down_is_a_transient_failure():
    with pytest.raises(TransientFailure):
        smtp.send(EmailMessage(), ["m@x.test"], SmtpSettings(port=free_port(), timeout=2))


def test_a_5xx_reply_is_permanent(tmp_path):
    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 No such user"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "a@icetex.test"
        message.set_content("x")
        with pytest.raises((PermanentFailure, smtplib.SMTPException)):
            smtp.send(message, ["nadie@x.test"], SmtpSettings(port=port, timeout=5))
    finally:
        controller.stop()


def test_the_sample_is_proportional_by_type_and_repeatable():
    sizes = {"solicitud": 60, "queja": 25, "reclamo": 14, "felicitacion": 1}
    shares = allocate(sizes, 20)
    assert sum(shares.values()) == 20 and all(shares[k] >= 1 for k in sizes)
    assert shares["solicitud"] > shares["queja"] > shares["reclamo"]
    strata = {k: [f"{k}-{i}" for i in range(n)] for k, n in sizes.items()}
    assert draw(strata, 20, seed="k") == draw(strata, 20, seed="k")
    assert allocate({"queja": 3}, 20) == {"queja": 3}


def test_report_helpers():
    start, end = month_before(datetime(2026, 4, 1, 12, 0, tzinfo=UTC))
    assert (start.isoformat(), end.isoformat()) == (
        "2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-05:00")  # fmt: skip
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert RedisLocation("redis+unix:///tmp/r.sock?db=2").for_kombu == (
        "redis+socket:///tmp/r.sock?db=2")  # fmt: skip


def test_every_job_has_a_soft_and_a_hard_time_limit_from_the_settings(monkeypatch):
    from workers.celery_app import time_limits
    from workers.settings import from_environment

    monkeypatch.setenv("JOB_TIME_LIMIT", "90")
    settings = from_environment()
    assert time_limits(settings) == {"task_soft_time_limit": 75, "task_time_limit": 90}
    assert settings.job_lease == 100 and settings.mail_send_lease == 90


def test_by_default_a_queued_job_a_killed_worker_held_goes_out_again_within_two_minutes(
    monkeypatch,
):
    from workers.settings import from_environment

    for name in ("OUTBOX_REDISPATCH_AFTER", "BEAT_INTERVAL", "CELERY_VISIBILITY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = from_environment()
    # The broker gives a prefetched message back only after its visibility timeout (30 min):
    # the sweep must not wait for that.
    assert settings.redispatch_after + settings.beat_interval <= 120
    assert settings.redispatch_after < settings.visibility_timeout


def test_a_job_the_broker_did_not_take_is_left_to_the_sweep_within_seconds(redis_url):
    import redis

    from workers.dispatch import CLAIM_SECONDS, Dispatcher, mark_key

    client = redis.Redis.from_url(RedisLocation(redis_url).for_redis_py)
    client.delete(mark_key(990001), mark_key(990002))

    def broker_restarting(_outbox_id: int) -> None:
        raise ConnectionError("Connection closed by server.")

    assert Dispatcher(client, broker_restarting, redispatch_after=2100).dispatch([990001]) == 0
    assert 0 < client.ttl(mark_key(990001)) <= CLAIM_SECONDS
    assert Dispatcher(client, lambda _id: None, redispatch_after=2100).dispatch([990002]) == 1
    assert client.ttl(mark_key(990002)) > CLAIM_SECONDS
    client.delete(mark_key(990001), mark_key(990002))
    client.close()


def test_the_escalation_notice_names_the_area_the_matrix_suggests(session, clock):
    from engine.models import Group
    from engine.runtime import Engine
    from tests import factories as f
    from workers.labels import Labels
    from workers.operators.notify import _case_view

    engine = Engine(session, clock)
    f.deploy(engine)
    session.add(Group(code="area_credito_cobranza", name="Crédito y Cobranza", kind="area"))
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    view = _case_view(case, Labels(session), "area_credito_cobranza")
    text = render("escalamiento", {**CONTEXT, "caso": {**CONTEXT["caso"], **view}}).text
    assert "(Crédito y Cobranza)" in text
    assert _case_view(case, Labels(session))["area_nombre"] is None  # nothing suggested
