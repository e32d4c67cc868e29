"""Bad input in a real browser, at desktop and phone widths: every refusal is a Spanish page
or a message next to the field, and every such page passes axe-core.

The browser's own checks (maxlength, minlength) are taken off first where a careless or
hostile client would skip them, so what is shown is the server's answer.
"""

from typing import Any

import pytest
from flask import Flask

from tests.web.conftest import PASSWORD
from tests.web.test_browser import Actor, browser  # noqa: F401

WIDTHS = {"escritorio": 1280, "movil": 390}


def _actor(browser: Any, served: str, name: str, width: str) -> Actor:  # noqa: F811
    actor = Actor(browser, served, f"entrada-{width}-{name}")
    actor.page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    return actor


def _unlimit(actor: Actor) -> None:
    actor.page.evaluate(
        "() => document.querySelectorAll('[maxlength],[minlength]').forEach(e => {"
        " e.removeAttribute('maxlength'); e.removeAttribute('minlength'); })"
    )


def _see(actor: Actor, text: str, label: str) -> None:
    actor.page.get_by_text(text).first.wait_for()
    actor.axe(label)
    actor.shot(label)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_bad_input_gets_a_spanish_answer_in_the_browser(
    app: Flask,
    world,
    served: str,
    browser: Any,  # noqa: F811
    width: str,
) -> None:
    world.staff("asesor", "asesor")
    world.staff("coordinador", "coordinador", "asesor")
    citizen_id = world.citizen()
    radicado = world.file_case(citizen_id)

    # Registration: a name longer than its column and an address that is not one.
    visitor = _actor(browser, served, "visitante", width)
    visitor.go("/cuenta/registro")
    page = visitor.page
    _unlimit(visitor)
    page.get_by_label("Tipo de documento").select_option("CC")
    page.get_by_label("Número de documento").fill("1020304050")
    page.get_by_label("Nombres y apellidos").fill("Nombre " * 40)
    page.get_by_label("Correo electrónico").fill('"><script>@x.co')
    page.get_by_label("Teléfono").fill("3001234567")
    page.get_by_label("Dirección").fill("Calle 10 # 5-20")
    page.locator("#campo-password").fill("Una-clave-larga-2026")
    page.get_by_label("Repita la contraseña").fill("Una-clave-larga-2026")
    page.get_by_label("Autorizo el tratamiento de mis datos personales").check()
    page.get_by_role("button", name="Registrarme").click()
    _see(visitor, "El texto es demasiado largo (máximo 200 caracteres).", "registro")
    assert page.get_by_text("Escriba un correo electrónico válido.").count() >= 1

    # Filing: a description over its limit, then the same form sent twice.
    citizen = _actor(browser, served, "ciudadano", width)
    citizen.go("/cuenta/ingresar")
    citizen.page.get_by_label("Número de documento").fill("1012345678")
    citizen.page.get_by_label("Contraseña").fill(PASSWORD)
    citizen.page.get_by_role("button", name="Ingresar").click()
    citizen.page.wait_for_url("**/mis-casos")
    citizen.go("/radicar")
    page = citizen.page
    _unlimit(citizen)
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill("Giro del fondo no recibido")
    page.get_by_label("Descripción").fill("Texto largo. " * 400)
    page.get_by_role("button", name="Radicar").click()
    _see(citizen, "La descripción debe tener entre 20 y 5000 caracteres.", "radicar-largo")
    page.get_by_label("Descripción").fill("El giro del fondo de este semestre no ha llegado.")
    sent = page.locator('input[name="formulario"]').input_value()
    page.get_by_role("button", name="Radicar").click()
    page.wait_for_url("**/mis-casos/AV-*")
    # The same form again (a second click, a resent request): it carries the same token.
    citizen.go("/radicar")
    page.locator('input[name="formulario"]').evaluate("(e, v) => { e.value = v; }", sent)
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option("fondos_en_administracion")
    page.get_by_label("Asunto").fill("Giro del fondo no recibido")
    page.get_by_label("Descripción").fill("El giro del fondo de este semestre no ha llegado.")
    page.get_by_role("button", name="Radicar").click()
    _see(citizen, "Esta solicitud ya quedó radicada con el número", "radicar-dos-veces")

    # Profile: an e-mail address that is not one.
    citizen.go("/mis-datos")
    citizen.page.get_by_label("Correo electrónico").fill('"><script>@x.co')
    citizen.page.get_by_role("button", name="Guardar").click()
    _see(citizen, "Escriba un correo electrónico válido.", "mis-datos")

    # URLs out of range or with control characters.
    citizen.go("/adjuntos/99999999999999999999")
    _see(citizen, "Lo que busca no existe o ya no está disponible.", "adjunto-enorme")
    citizen.go("/mis-casos/AV-2026%00")
    _see(citizen, "La dirección contiene caracteres no permitidos.", "url-nul")

    # Staff: inbox query strings, a prórroga without real reasons, a huge reassignment id.
    asesor = _actor(browser, served, "asesor", width)
    asesor.staff_login("asesor")
    asesor.go("/bandeja/?vista=group&pagina=99999999999999999999")
    _see(asesor, "El número de página no es válido.", "bandeja-pagina")
    asesor.go("/bandeja/?vista=group&vence_antes=9999-12-31")
    _see(asesor, "La fecha está fuera del rango permitido.", "bandeja-fecha")
    asesor.go(f"/bandeja/casos/{radicado}")
    _unlimit(asesor)
    asesor.page.get_by_label("Días hábiles adicionales").fill("5")
    asesor.page.get_by_label("Motivos").fill("Demora.")
    asesor.page.get_by_role("button", name="Prorrogar").click()
    _see(asesor, "al menos 20 caracteres", "prorroga-corta")

    boss = _actor(browser, served, "coordinador", width)
    boss.staff_login("coordinador")
    boss.open_task(radicado, "5.2.6 Revisar la solicitud registrada")
    boss.page.evaluate(
        "() => { document.querySelector('#campo-asignado option').value = '99999999999999999999'; }"
    )
    boss.page.get_by_role("button", name="Reasignar", exact=True).click()
    _see(boss, "Seleccione a quién reasignar la tarea.", "reasignar-enorme")
