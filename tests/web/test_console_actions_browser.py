"""Done means (issue 10, actions): on the real workers' stack (a real worker process, a real
SMTP server on loopback, tests/stack.py) and in a real browser —

- with the SMTP server down a case's acknowledgement becomes an incident; the administrator
  finds it through the search («Con incidente»), sees the red marker on the diagram, brings
  SMTP back, retries, and the case moves on with the e-mail sent once;
- the administrator moves another case back from 5.2.14 to 5.2.10 with a reason and the
  Asesor's inbox shows it;
- a bulk cancel of three test cases runs in the worker with its progress page and the search
  shows them cancelled.

axe on every console page touched; screenshots at 1280 and 390 px in tests/artifacts/."""

from typing import Any

from sqlalchemy import select

from engine.models import HumanTask, Incident, OutboxMessage, ProcessInstance, User
from engine.runtime import Engine
from tests import factories
from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import World
from tests.web.test_browser import ARTIFACTS, browser, live_app  # noqa: F401
from tests.web.test_studio_browser import axe, log_in
from tests.workers.harness import wait_for
from web.extensions import db
from web.outbox import commit

REASON = "Devuelto para escalar de nuevo al área de Fondos"


class Desk:
    """The web side of the test on the live app: every change committed through
    ``web.outbox.commit``, which hands the new jobs to the real worker."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def file(self, document: str) -> tuple[str, int]:
        citizen_id = World(self.app).citizen(document)
        with self.app.app_context():
            engine = Engine(db.session, self.app.extensions["clock"])
            case = factories.file_case(engine, db.session.get(User, citizen_id))
            commit()
            instance_id = db.session.scalars(
                select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)
            ).one()
            return case.radicado, instance_id

    def read(self, fn: Any) -> Any:
        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.remove()

    def open_steps(self, instance_id: int) -> list[str]:
        return self.read(
            lambda s: sorted(
                s.scalars(
                    select(HumanTask.bpmn_id).where(
                        HumanTask.instance_id == instance_id, HumanTask.state == "open"
                    )
                )
            )
        )

    def settled(self, instance_id: int) -> bool:
        """No job of the instance left for the worker (it would race the next completion)."""
        return not self.read(
            lambda s: s.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.instance_id == instance_id, OutboxMessage.status == "pending"
                )
            ).first()
        )

    def complete(self, instance_id: int, bpmn_id: str, username: str, data: dict) -> None:
        wait_for(
            lambda: bpmn_id in self.open_steps(instance_id) and self.settled(instance_id),
            what=f"{bpmn_id} to open and the worker to finish",
        )
        with self.app.app_context():
            engine = Engine(db.session, self.app.extensions["clock"])
            task = db.session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.bpmn_id == bpmn_id,
                    HumanTask.state == "open",
                )
            ).one()
            user = db.session.scalars(select(User).where(User.username == username)).one()
            engine.complete_task(task.id, user, data)
            commit()
            db.session.remove()


def shot(page: Any, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=ARTIFACTS / f"console-actions-{label}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def check(page: Any, label: str) -> None:
    """axe (the diagram's canvas is bpmn-js's own, checked in the studio's tests) and shots."""
    axe(page, label, [".studio-canvas"])
    shot(page, label)


def test_incident_retry_move_back_and_bulk_cancel_on_the_real_stack(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    world = World(app)
    world.staff("admin", "administrador")
    world.staff("asesor", "asesor")
    world.staff("funcionario.fondos", "area_fondos")
    desk = Desk(app)
    context = browser.new_context(
        locale="es-CO", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin")

    # 1. SMTP down: the acknowledgement fails its attempts and becomes an incident.
    stack.smtp.stop()
    failed, failed_id = desk.file("1012345601")
    incident = wait_for(
        lambda: desk.read(
            lambda s: s.scalars(select(Incident).where(Incident.instance_id == failed_id)).first()
        ),
        timeout=60,
        what="the incident",
    )
    page.get_by_role("link", name="Consola").click()
    page.get_by_label("Estado").select_option("incident")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_text("1 instancia encontrada").wait_for()
    check(page, "busqueda-con-incidente")
    page.get_by_role("link", name=failed).click()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    marker = page.locator(f'[data-element-id="{incident.bpmn_id}"].mark-incident')
    assert marker.count() == 1  # the red marker on the failed step
    check(page, "instancia-con-incidente")
    stack.smtp.start()
    page.get_by_label("Motivo del reintento").fill("El servidor de correo ya responde")
    page.get_by_role("button", name="Reintentar").click()
    page.get_by_text("Se reintentó el paso que falló.").wait_for()
    wait_for(
        lambda: desk.read(lambda s: s.get(OutboxMessage, incident.outbox_id).status == "done"),
        timeout=60,
        what="the retried e-mail",
    )
    assert len(stack.smtp.with_subject(failed)) == 1  # sent once
    assert "ut_5_2_6" in desk.open_steps(failed_id)  # the case moves on at its step

    # 2. Another case, at 5.2.14, goes back to 5.2.10 with a reason.
    moved, moved_id = desk.file("1012345602")
    steps = [
        ("ut_5_2_6", "asesor", {"es_felicitacion": False}),
        ("ut_5_2_7", "asesor", {"complejidad": "alta", "analisis": "Necesita datos del área."}),
        (
            "ut_5_2_8",
            "asesor",
            {"escalar": True, "justificacion_escalamiento": "Solo el área sabe."},
        ),
        ("ut_5_2_10", "asesor", {"area": "area_fondos", "dias_area": 5}),
        ("ut_5_2_11", "funcionario.fondos", {"es_de_mi_area": True}),
        ("ut_5_2_12", "funcionario.fondos", {"hallazgos": "Hallazgos del caso con detalle."}),
        (
            "ut_5_2_13",
            "funcionario.fondos",
            {"informacion_area": "Información del área suficiente."},
        ),
    ]
    for bpmn_id, username, data in steps:
        desk.complete(moved_id, bpmn_id, username, data)
    wait_for(lambda: desk.open_steps(moved_id) == ["ut_5_2_14"], what="5.2.14 to open")
    page.goto(f"{base}/consola/instancias/{moved_id}")
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    assert page.locator('[data-element-id="ut_5_2_14"].mark-current').count() == 1
    page.get_by_label("Devolver el caso al paso").select_option(
        label="5.2.10 Escalar al área competente"
    )
    check(page, "instancia-devolver")
    page.get_by_role("button", name="Devolver al paso elegido").click()
    page.get_by_text("Se deshace el escalamiento del").wait_for()
    assert page.get_by_text("La respuesta del área del").count() == 1
    page.get_by_label("Motivo para devolverlo").fill(REASON)
    check(page, "instancia-devolver-confirmar")
    page.get_by_role("button", name="Confirmar la devolución").click()
    page.get_by_text("El caso volvió al paso elegido.").wait_for()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    assert page.locator('[data-element-id="ut_5_2_10"].mark-current').count() == 1
    assert page.get_by_text(REASON).count() >= 1  # in the timeline
    asesor = browser.new_context(locale="es-CO", viewport={"width": 1280, "height": 900})
    inbox = asesor.new_page()
    log_in(inbox, base, "asesor")
    inbox.goto(f"{base}/bandeja/?vista=group")
    row = inbox.locator("tr", has_text=moved)
    row.get_by_role("link", name="5.2.10 Escalar al área competente").wait_for()
    shot(inbox, "bandeja-asesor")
    asesor.close()

    # 3. A bulk cancel of three test cases, in the worker, with its progress page.
    batch = [desk.file(f"101234561{n}")[0] for n in range(3)]
    page.goto(f"{base}/consola/?estado=running")
    for radicado in batch:
        page.get_by_label(f"Elegir {radicado}").check()
    page.get_by_label("Acción", exact=True).select_option("cancelar")
    check(page, "busqueda-seleccion")
    page.get_by_role("button", name="Ver a cuáles se aplica").click()
    page.get_by_text("Se aplicará a 3 instancias.").wait_for()
    for radicado in batch:
        assert page.get_by_role("link", name=radicado).count() == 1
    page.get_by_label("Motivo (queda en el historial de cada instancia)").fill(
        "Casos de prueba radicados por error"
    )
    check(page, "masivo-vista-previa")
    page.get_by_role("button", name="Confirmar y ejecutar").click()
    page.wait_for_url("**/consola/masivo/*")
    assert page.locator("progress#avance").count() == 1
    page.get_by_text("Terminada: 3 de 3 instancias sin error.").wait_for(timeout=60_000)
    check(page, "masivo-terminada")
    page.goto(f"{base}/consola/?estado=cancelled")
    page.get_by_text("3 instancias encontradas").wait_for()
    for radicado in batch:
        assert page.get_by_role("link", name=radicado).count() == 1
    shot(page, "busqueda-canceladas")
    assert errors == []
    context.close()
