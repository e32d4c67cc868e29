"""A citizen's comfort in a real browser (issue 8): a forgotten password reset by the e-mailed
link, a case looked up by radicado and the acknowledgement's code without logging in, and
«Mis casos» on a 390 px phone. Real stack (tests/stack.py): the worker sends the e-mails to
the SMTP server on loopback, where the test reads the links and the code. Every page is
checked with axe at 1280 px and 390 px and photographed into tests/artifacts/.
"""

import re
from datetime import timedelta
from typing import Any

from tests.stack import Stack, redis_url, shared_clock, stack  # noqa: F401
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import Actor, _settle, browser, live_app  # noqa: F401
from tests.web.test_browser_handoffs import look
from tests.workers.harness import wait_for

DOCUMENT = "1098765432"
EMAIL = f"{DOCUMENT}@example.com"
NEW_PASSWORD = "mi-clave-nueva-2026"
RESET_SUBJECT = "Restablezca su contraseña"
PORTAL_URL = "http://127.0.0.1:5000"  # the workers' default PORTAL_URL


def mails(stack: Stack, subject: str, to: str = EMAIL) -> list[Any]:  # noqa: F811
    return [m for m in stack.smtp.with_subject(subject) if m["To"] == to]


def body(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def newest_reset_link(stack: Stack, count: int) -> str:  # noqa: F811
    found = wait_for(
        lambda: len(mails(stack, RESET_SUBJECT)) >= count and mails(stack, RESET_SUBJECT),
        60,
        "the reset e-mail",
        interval=0.1,
    )
    return re.search(r"https?://\S+/cuenta/restablecer/\S+", body(found[-1])).group(0)


def ask_for_reset(actor: Actor, document: str) -> None:
    actor.go("/cuenta/ingresar")
    actor.page.get_by_role("link", name="¿Olvidó su contraseña?").click()
    actor.page.get_by_label("Número de documento").fill(document)
    actor.page.get_by_role("button", name="Enviarme el enlace").click()
    actor.page.wait_for_url("**/cuenta/olvido/revise-su-correo")


def no_sideways_scroll(actor: Actor, selector: str) -> None:
    page_fits = actor.page.evaluate(
        "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )
    list_fits = actor.page.evaluate(
        "(s) => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth }",
        selector,
    )
    assert page_fits and list_fits, f"sideways scroll at {actor.page.viewport_size}"


def test_a_forgotten_password_is_reset_by_the_mailed_link_once_and_not_after_it_expires(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    World(app).citizen(DOCUMENT, full_name="Camila Torres")
    citizen = Actor(browser, base, "h8-clave")
    citizen.go("/cuenta/ingresar")
    look(citizen, "ingreso")
    citizen.page.get_by_role("link", name="¿Olvidó su contraseña?").click()
    look(citizen, "olvido")
    citizen.page.get_by_role("button", name="Enviarme el enlace").click()
    citizen.page.get_by_text("Escriba su número de documento").first.wait_for()
    look(citizen, "olvido-error")

    # No account enumeration: an unknown document gets the same page, and no e-mail.
    ask_for_reset(citizen, "55555555")
    unknown_page = citizen.page.locator("main").inner_text()
    ask_for_reset(citizen, DOCUMENT)
    assert citizen.page.locator("main").inner_text() == unknown_page
    look(citizen, "olvido-enviado")
    link = newest_reset_link(stack, 1)
    _settle(app)
    assert len(stack.smtp.with_subject(RESET_SUBJECT)) == 1
    assert "Consulte el estado de sus solicitudes" in body(mails(stack, RESET_SUBJECT)[0])

    citizen.page.goto(link)
    citizen.page.get_by_role("heading", name="Elegir una contraseña nueva").wait_for()
    look(citizen, "restablecer")
    citizen.page.get_by_label("Contraseña nueva", exact=False).first.fill("corta")
    citizen.page.get_by_label("Repita la contraseña nueva").fill("corta")
    citizen.page.get_by_role("button", name="Guardar la contraseña").click()
    citizen.page.get_by_text("al menos 10 caracteres").first.wait_for()
    look(citizen, "restablecer-error")
    citizen.page.locator("#campo-password").fill(NEW_PASSWORD)
    citizen.page.get_by_label("Repita la contraseña nueva").fill(NEW_PASSWORD)
    citizen.page.get_by_role("button", name="Guardar la contraseña").click()
    citizen.page.wait_for_url("**/cuenta/ingresar")
    citizen.page.get_by_text("Su contraseña quedó cambiada").wait_for()
    citizen.citizen_login(DOCUMENT, NEW_PASSWORD)

    # Single use: the same link again is refused.
    citizen.page.goto(link)
    citizen.page.get_by_text("ya fue usado").wait_for()
    look(citizen, "enlace-usado")

    # Expired: a new link opened after its hour is refused.
    ask_for_reset(citizen, DOCUMENT)
    late = newest_reset_link(stack, 2)
    stack.clock.advance(timedelta(minutes=61))
    citizen.page.goto(late)
    citizen.page.get_by_text("El enlace venció").wait_for()
    look(citizen, "enlace-vencido")
    citizen.go("/cuenta/ingresar")
    citizen.page.get_by_label("Número de documento").fill(DOCUMENT)
    citizen.page.get_by_label("Contraseña").fill(NEW_PASSWORD)
    citizen.page.get_by_role("button", name="Ingresar").click()
    citizen.page.wait_for_url("**/mis-casos")


def file_case(actor: Actor, subject: str) -> str:
    actor.go("/radicar")
    page = actor.page
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill(subject)
    page.get_by_label("Descripción").fill("El giro del fondo de este semestre no ha llegado.")
    page.get_by_role("button", name="Radicar").click()
    page.wait_for_url("**/mis-casos/AV-*")
    return page.url.rsplit("/", 1)[1]


def test_a_case_is_looked_up_by_radicado_and_code_and_my_cases_fit_a_phone(
    live_app,  # noqa: F811
    browser,  # noqa: F811
    stack: Stack,  # noqa: F811
) -> None:
    app, base = live_app
    World(app).citizen(DOCUMENT, full_name="Camila Torres")
    citizen = Actor(browser, base, "h8-consulta")
    citizen.citizen_login(DOCUMENT, PASSWORD)
    radicado = file_case(citizen, "Giro del fondo no recibido")
    file_case(
        citizen,
        "Solicitud de certificado de paz y salvo del crédito educativo para la universidad",
    )
    # No procedure jargon, and no claim that she updated data she did not change.
    timeline = citizen.page.locator("ol.timeline").inner_text()
    assert "Actualizó sus datos" not in timeline
    main = citizen.page.locator("main").inner_text()
    assert "5.2." not in main and "Actividad" not in main
    look(citizen, "caso")

    # «Mis datos» → «Cambiar contraseña», with the current one.
    citizen.go("/mis-datos")
    look(citizen, "mis-datos")
    citizen.page.get_by_role("link", name="Cambiar contraseña").click()
    look(citizen, "cambiar-clave")
    citizen.page.get_by_label("Contraseña actual").fill("no-es-la-actual")
    citizen.page.locator("#campo-password").fill(NEW_PASSWORD)
    citizen.page.get_by_label("Repita la contraseña nueva").fill(NEW_PASSWORD)
    citizen.page.get_by_role("button", name="Cambiar la contraseña").click()
    citizen.page.get_by_text("La contraseña actual no es correcta.").first.wait_for()
    look(citizen, "cambiar-clave-error")
    citizen.page.get_by_label("Contraseña actual").fill(PASSWORD)
    citizen.page.locator("#campo-password").fill(NEW_PASSWORD)
    citizen.page.get_by_label("Repita la contraseña nueva").fill(NEW_PASSWORD)
    citizen.page.get_by_role("button", name="Cambiar la contraseña").click()
    citizen.page.get_by_text("Su contraseña quedó cambiada.").wait_for()

    citizen.go("/mis-casos")
    citizen.page.set_viewport_size({"width": 390, "height": 844})
    no_sideways_scroll(citizen, "#mis-casos")
    due = citizen.page.locator("#mis-casos tbody tr").first.locator("td").last
    box = due.bounding_box()
    assert due.is_visible() and box["x"] + box["width"] <= 390  # the due date, on screen
    label = due.evaluate("(td) => getComputedStyle(td, '::before').content")
    assert "Respuesta" in label  # named, since the column heads are hidden
    assert due.inner_text().startswith("A más tardar el ")
    citizen.page.set_viewport_size({"width": 1280, "height": 900})
    no_sideways_scroll(citizen, "#mis-casos")
    look(citizen, "mis-casos")

    _settle(app)
    (ack,) = mails(stack, f"Radicamos su reclamo {radicado}")
    text = body(ack)
    assert f"{PORTAL_URL}/mis-casos/{radicado}" in text  # the case in the portal
    code = re.search(r"código de consulta: ([A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)

    visitor = Actor(browser, base, "h8-visitante")
    visitor.go("/")
    look(visitor, "inicio")
    visitor.page.get_by_role("link", name="Consulte su caso sin ingresar").click()
    look(visitor, "consulta")
    message = "No encontramos un caso con ese radicado y ese código."
    seen = []
    for tried_radicado, tried_code in ((radicado, "ABCD-2345"), ("AV-2026-999999", code)):
        visitor.go("/consulta")
        visitor.page.get_by_label("Número de radicado").fill(tried_radicado)
        visitor.page.get_by_label("Código de consulta").fill(tried_code)
        visitor.page.get_by_role("button", name="Consultar").click()
        visitor.page.get_by_text(message).wait_for()
        seen.append(visitor.page.locator(".error-summary").inner_text())
    assert seen[0] == seen[1]  # a wrong code reads like a missing radicado
    look(visitor, "consulta-error")
    visitor.page.get_by_label("Número de radicado").fill(radicado)
    visitor.page.get_by_label("Código de consulta").fill(code.lower().replace("-", " "))
    visitor.page.get_by_role("button", name="Consultar").click()
    visitor.page.get_by_role("heading", name=f"Caso {radicado}").wait_for()
    main = visitor.page.locator("main").inner_text()
    assert "Giro del fondo no recibido" in main and "A más tardar el " in main
    assert "5.2." not in main and "Enviar la información" not in main
    look(visitor, "consulta-resultado")
