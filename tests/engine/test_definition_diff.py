"""Comparing two versions tells process owners what changed, element by element."""

import json

from engine.definition_diff import compare
from tests import factories as f

CASE = "bpmn/caso_pqrs.bpmn"


def test_identical_versions_have_no_changes() -> None:
    files = f.bundle_files()
    assert compare(files, dict(files)) == []


def test_a_changed_condition_is_named_with_before_and_after() -> None:
    old = f.bundle_files()
    new = dict(old)
    new[CASE] = old[CASE].replace(
        'tFormalExpression">registrado<', 'tFormalExpression">not registrado<'
    )
    [change] = compare(old, new)
    assert (change.file, change.element_id, change.kind) == (CASE, "f_reg_si", "modificado")
    assert change.details == ["Condición: «registrado» → «not registrado»"]


def test_added_and_removed_elements_and_changed_properties() -> None:
    old = f.bundle_files()
    new = dict(old)
    new[CASE] = (
        old[CASE]
        .replace('value="revisar_solicitud.json"', 'value="revisar_solicitud_v2.json"', 1)
        .replace('name="5.2.6 ', 'name="5.2.6 Revisar y ', 1)
    )
    [change] = compare(old, new)
    assert change.element_id == "ut_5_2_6"
    assert any(d.startswith("Nombre: «5.2.6 ") for d in change.details)
    assert (
        "Propiedad formJsonSchemaFilename: «revisar_solicitud.json» → «revisar_solicitud_v2.json»"
        in change.details
    )


def test_a_decision_table_rule_and_a_form_field() -> None:
    old = f.bundle_files()
    new = dict(old)
    dmn = "bpmn/terminos_legales.dmn"
    new[dmn] = old[dmn].replace(">15<", ">16<", 1)
    form = json.loads(old["forms/tipificar.json"])
    form["properties"]["nota_nueva"] = {"type": "string", "title": "Nota nueva"}
    new["forms/tipificar.json"] = json.dumps(form, ensure_ascii=False)
    changes = {(c.file, c.kind) for c in compare(old, new)}
    assert (dmn, "modificado") in changes
    assert ("forms/tipificar.json", "agregado") in changes
    rule = next(c for c in compare(old, new) if c.file == dmn)
    assert any("«15» → «16»" in d for d in rule.details)
