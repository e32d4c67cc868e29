"""The process owner's studio in a real browser, under the app's own Content-Security-Policy:
open the case diagram, break a gateway condition in the properties panel and see it marked on
the diagram, fix it, deploy a version with a comment. Screenshots at 1280 and 390 px; axe."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.web.conftest import PASSWORD, World, app_config, serving
from tests.web.test_browser import ARTIFACTS, AXE, browser  # noqa: F401
from web import create_app
from web.demo import init_db
from web.extensions import db


@pytest.fixture
def served(database_url: str, session_factory, clock) -> Iterator[tuple[Flask, str]]:
    app = create_app(app_config(database_url, clock))
    init_db(app)
    World(app).staff("dueno", "dueno_proceso")
    World(app).staff("admin", "administrador")
    with serving(app) as base:
        yield app, base
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/cuenta/funcionarios")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def shot(page: Any, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=ARTIFACTS / f"studio-{label}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def axe(page: Any, label: str, exclude: list[str]) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (exclude) => await axe.run({exclude: exclude.map(s => [s])}, {runOnly: {type: "
        "'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})",
        exclude,
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == [], f"axe on {label}: {violations}"


def condition(page: Any, text: str) -> None:
    field = page.get_by_label("Condición (expresión sobre los datos del caso)")
    if not field.is_visible():  # select the "Sí" flow of «¿Usuario registrado?» on the canvas
        page.locator('[data-element-id="f_reg_si"] .djs-hit').first.click(force=True)
    field.fill(text)
    field.blur()
    page.get_by_role("button", name="Guardar borrador y validar").click()


def test_an_owner_breaks_fixes_and_deploys_the_case_diagram(served, browser) -> None:  # noqa: F811
    _, base = served
    page = browser.new_context(locale="es-CO").new_page()  # the app's CSP applies
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "dueno")
    page.get_by_role("link", name="Estudio").click()
    shot(page, "index")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Caso PQRS", exact=False).first.click()
    page.wait_for_selector("[data-bpmn-modeler][data-ready=true]")

    condition(page, "registrado and (")
    page.wait_for_selector("[data-problem-list] li.problem-error")
    assert (
        "Ir al flujo «Sí» de «¿Usuario registrado?»"
        in page.locator("[data-problem-list]").inner_text()
    )
    assert page.locator('[data-element-id="f_reg_si"].mark-error').count() >= 1
    assert page.locator(".diagram-badge.error").count() >= 1
    shot(page, "problem")

    condition(page, "registrado is True")
    page.get_by_text("Borrador guardado, sin problemas.").wait_for()
    assert page.locator(".diagram-badge.error").count() == 0

    page.get_by_role("link", name="Volver al estudio").click()
    page.get_by_label("Comentario de la versión").fill("Se revisó la condición de registro")
    page.get_by_role("button", name="Desplegar versión nueva").click()
    page.get_by_text("Se desplegó la versión 2").wait_for()
    shot(page, "deployed")
    page.get_by_role("link", name="Comparar versiones").click()
    page.wait_for_selector("[data-bpmn-viewer][data-ready=true]")
    assert "Condición: «registrado» → «registrado is True»" in page.inner_text("main")
    assert page.locator('[data-element-id="f_reg_si"].mark-changed').count() == 1
    shot(page, "compare")
    assert errors == []


def test_the_studio_pages_pass_axe_for_owner_and_administrator(served, browser) -> None:  # noqa: F811
    _, base = served
    for username in ("dueno", "admin"):
        page = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
        log_in(page, base, username)
        page.goto(base + "/estudio/")
        axe(page, f"{username} index", [])
        page.goto(base + "/estudio/comparar")
        axe(page, f"{username} compare", [])
        page.goto(base + "/estudio/diagramas/bpmn/caso_pqrs.bpmn")
        page.wait_for_selector("[data-ready=true]")
        # The drawing canvas and bpmn-js's own panel are third-party widgets.
        axe(page, f"{username} diagram", [".studio-canvas", ".studio-panel"])
        shot(page, f"diagram-{username}")
        page.goto(base + "/estudio/tablas/bpmn/matriz_escalamiento.dmn")
        page.wait_for_selector("[data-dmn-editor][data-ready=true]")
        # dmn-js's table is a third-party widget (its editable cells are contenteditable divs).
        axe(page, f"{username} decision table", [".studio-table"])
        shot(page, f"table-{username}")
        page.goto(base + "/estudio/formularios/forms/radicar.json")
        axe(page, f"{username} form", [])
        shot(page, f"form-{username}")
        page.goto(base + "/estudio/migracion")
        axe(page, f"{username} migration", [])


def meaning(bundle: Any) -> dict[str, Any]:
    """What the engine runs of a bundle: every task spec with its type, flows, conditions,
    extensions (forms, groups, operators, scripts) and timers, per process."""
    found = {}
    for process_id, spec in bundle.specs.items():
        for name, task in spec.task_specs.items():
            conditions = sorted(
                (condition.args[0] if condition is not None else "", target)
                for condition, target in getattr(task, "cond_task_specs", [])
            )
            event = getattr(task, "event_definition", None)
            found[f"{process_id}:{name}"] = (
                type(task).__name__,
                sorted(t.name for t in task.outputs),
                repr(getattr(task, "extensions", {})),
                getattr(task, "script", None),
                repr(conditions),
                repr(getattr(event, "expression", None)),
                getattr(task, "operation_name", None),
                repr(getattr(task, "operation_params", None)),
            )
    return found


def test_every_diagram_round_trips_through_the_modelers_save(served, browser) -> None:  # noqa: F811
    from engine import definitions

    app, base = served
    page = browser.new_context(locale="es-CO").new_page()
    log_in(page, base, "dueno")
    files = definitions.read_directory(Path(app.config["DEFINITIONS_ROOT"]))
    saved = dict(files)
    diagrams = sorted(path for path in files if path.endswith(".bpmn"))
    assert len(diagrams) == 3
    for path in diagrams:
        page.goto(f"{base}/estudio/diagramas/{path}")
        page.wait_for_selector("[data-bpmn-modeler][data-ready=true]")
        saved[path] = page.evaluate(
            "async () => (await window.atencionModeler.saveXML({format: true})).xml"
        )
        assert "spiffworkflow:properties" in saved[path] or "auditoria" in path
    assert meaning(definitions.parse(saved)) == meaning(definitions.parse(files))


def cell(page: Any, element_id: str, text: str) -> None:
    target = page.locator(f'[data-table] [data-element-id="{element_id}"]')
    target.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator("h1").click()  # leave the cell
    page.get_by_role("button", name="Guardar borrador y validar").click()


def test_an_owner_edits_a_decision_table_and_sees_the_broken_rule_marked(served, browser) -> None:  # noqa: F811
    _, base = served
    page = browser.new_context(locale="es-CO").new_page()  # the app's CSP applies
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "dueno")
    page.goto(base + "/estudio/")
    page.get_by_role("link", name="Términos legales", exact=True).first.click()
    page.wait_for_selector("[data-dmn-editor][data-ready=true]")
    cell(page, "terminos_legales_r2_o0", "30 +")
    page.wait_for_selector("[data-problem-list] li.problem-error")
    assert page.locator("tr.row-error").count() == 1
    assert page.locator('td.cell-error[data-element-id="terminos_legales_r2_o0"]').count() == 1
    shot(page, "table-problem")
    cell(page, "terminos_legales_r2_o0", "35")
    page.get_by_text("Borrador guardado, sin problemas.").wait_for()
    assert page.locator("tr.row-error").count() == 0
    page.goto(base + "/estudio/comparar")
    assert "Salida 1: «30» → «35»" in page.inner_text("main")
    assert errors == []


def test_an_owner_edits_a_form_with_a_live_preview_and_its_checks(served, browser) -> None:  # noqa: F811
    _, base = served
    page = browser.new_context(locale="es-CO").new_page()  # the app's CSP applies
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "dueno")
    page.goto(base + "/estudio/")
    page.get_by_role("link", name="Revisar la solicitud registrada", exact=True).first.click()
    page.wait_for_selector("[data-form-editor][data-ready=true]")
    preview = page.locator("[data-preview]")
    assert "¿Es una felicitación?" in preview.inner_text()
    schema = page.get_by_label("Esquema del formulario (JSON Schema)")
    original = schema.input_value()

    retitled = original.replace('"Observaciones de la revisión"', '"Notas para el equipo"')
    schema.fill(retitled.replace('"x-widget": "textarea"', '"x-widget": "lienzo"', 1))
    page.wait_for_function(
        "() => document.querySelector('[data-preview]').innerText.includes('Notas para el equipo')"
    )
    page.wait_for_selector('[data-field="observaciones_revision"].field-problem')
    assert "lienzo" in page.locator("[data-problem-list]").inner_text()
    shot(page, "form-problem")

    schema.fill(retitled)
    page.wait_for_selector(".field-problem", state="detached")
    page.get_by_role("button", name="Guardar borrador y validar").click()
    page.get_by_text("Borrador guardado, sin problemas.").wait_for()
    page.goto(base + "/estudio/comparar")
    assert '«"Observaciones de la revisión"» → «"Notas para el equipo"»' in page.inner_text("main")
    assert errors == []


def test_a_diagram_from_camunda_modeler_opens_with_its_unsupported_parts_marked(
    served,
    browser,  # noqa: F811
) -> None:
    _, base = served
    page = browser.new_context(locale="es-CO").new_page()  # the app's CSP applies
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "dueno")
    page.goto(base + "/estudio/")
    source = Path(__file__).parent.parent / "engine" / "data" / "camunda_modeler.bpmn"
    page.get_by_label("Archivo BPMN (.bpmn o .xml)").set_input_files(str(source))
    page.get_by_role("button", name="Importar y abrir").click()
    page.wait_for_selector("[data-bpmn-modeler][data-ready=true]")
    problems = page.locator("[data-problem-list]").inner_text()
    assert "JUEL o FEEL" in problems and "javascript" in problems and "formKey" in problems
    assert page.locator('[data-element-id="Gateway_junta"].mark-error').count() == 1
    assert page.locator('[data-element-id="Gateway_monto"].mark-error').count() == 1  # its flow
    shot(page, "imported")
    assert errors == []


def test_every_decision_table_round_trips_through_the_table_editors_save(served, browser) -> None:  # noqa: F811
    from engine import definitions
    from engine.definition_diff import compare

    app, base = served
    page = browser.new_context(locale="es-CO").new_page()
    log_in(page, base, "dueno")
    files = definitions.read_directory(Path(app.config["DEFINITIONS_ROOT"]))
    saved = dict(files)
    tables = sorted(path for path in files if path.endswith(".dmn"))
    assert {"bpmn/terminos_legales.dmn", "bpmn/matriz_escalamiento.dmn"} <= set(tables)
    for path in tables:
        page.goto(f"{base}/estudio/tablas/{path}")
        page.wait_for_selector("[data-dmn-editor][data-ready=true]")
        saved[path] = page.evaluate(
            "async () => (await window.atencionTables.saveXML({format: true})).xml"
        )
    assert compare(files, saved) == []  # every rule, input and output the same
    bundle, again = definitions.parse(files), definitions.parse(saved)
    assert set(again.decisions) == set(bundle.decisions)
    case = {"tipo": "solicitud", "modalidad": "consulta"}
    assert again.decide("terminos_legales", case) == bundle.decide("terminos_legales", case)
