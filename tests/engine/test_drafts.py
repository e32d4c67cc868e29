"""Process owners' drafts: never live until deployed, no silent overwrite, deploy refused while
the definition has errors, and each version with its author and comment."""

import pytest
from sqlalchemy import select

from engine import definitions, drafts
from engine.errors import DefinitionInvalid, EngineError, NotFound
from engine.models import Event, ProcessInstance
from engine.runtime import Engine
from tests import factories as f

CASE = "bpmn/caso_pqrs.bpmn"


@pytest.fixture
def studio(session, clock):
    engine = Engine(session, clock)
    f.deploy(engine)
    now = clock.now()
    return engine, {
        "diana": f.user(session, "diana", "dueno_proceso", now=now),
        "dario": f.user(session, "dario", "dueno_proceso", now=now),
        "citizen": f.user(session, "52000111", "usuario", now=now, kind="citizen"),
    }


def edited(session, old: str, new: str) -> str:
    content = drafts.working_files(session)[CASE]
    assert old in content
    return content.replace(old, new, 1)


def test_a_saved_draft_is_not_live_until_deployed(session, clock, studio) -> None:
    engine, people = studio
    renamed = edited(session, 'name="5.2.6 ', 'name="5.2.6 (borrador) ')
    draft, problems = drafts.save(session, CASE, renamed, 0, people["diana"], clock.now())
    assert draft.revision == 1 and draft.base_version == 1 and problems == []
    assert drafts.working_files(session)[CASE] == renamed
    assert definitions.latest_bundle(session).version == 1
    case = f.file_case(engine, people["citizen"])
    assert "(borrador)" not in f.open_task(session, case.id, "ut_5_2_6").name


def test_two_owners_saving_the_same_file_get_a_conflict_not_an_overwrite(
    session, clock, studio
) -> None:
    _, people = studio
    first = edited(session, 'name="5.2.6 ', 'name="5.2.6 A ')
    drafts.save(session, CASE, first, 0, people["diana"], clock.now())
    with pytest.raises(drafts.DraftConflict, match="Diana guardó este archivo"):
        drafts.save(session, CASE, first.replace(" A ", " B "), 0, people["dario"], clock.now())
    assert drafts.working_files(session)[CASE] == first
    drafts.save(session, CASE, first.replace(" A ", " B "), 1, people["dario"], clock.now())


def test_only_the_bundles_own_files_can_be_drafted(session, clock, studio) -> None:
    _, people = studio
    for path in ("../etc/passwd", "bpmn/x.py", "web/app.css", "forms/../x.json"):
        with pytest.raises(NotFound):
            drafts.save(session, path, "x", 0, people["diana"], clock.now())


def test_deploy_is_refused_while_the_definition_has_errors(session, clock, studio) -> None:
    _, people = studio
    broken = edited(
        session, 'tFormalExpression">registrado<', 'tFormalExpression">registrado and (<'
    )
    _, problems = drafts.save(session, CASE, broken, 0, people["diana"], clock.now())
    assert any(p.file == CASE and p.element_id == "f_reg_si" for p in problems)
    with pytest.raises(DefinitionInvalid):
        drafts.deploy(session, people["diana"], "Cambio de la condición de registro", clock.now())
    assert definitions.latest_bundle(session).version == 1


def test_deploy_needs_a_comment_and_a_change(session, clock, studio) -> None:
    _, people = studio
    with pytest.raises(EngineError, match="No hay cambios"):
        drafts.deploy(session, people["diana"], "Sin cambios reales aquí", clock.now())
    renamed = edited(session, 'name="5.2.6 ', 'name="5.2.6 Revisar y ')
    drafts.save(session, CASE, renamed, 0, people["diana"], clock.now())
    with pytest.raises(EngineError, match="comentario"):
        drafts.deploy(session, people["diana"], "corto", clock.now())


def test_a_deployed_version_carries_author_comment_and_changes_and_old_cases_keep_theirs(
    session, clock, studio
) -> None:
    engine, people = studio
    before = f.file_case(engine, people["citizen"])
    renamed = edited(session, 'name="5.2.6 ', 'name="5.2.6 Revisar y ')
    drafts.save(session, CASE, renamed, 0, people["diana"], clock.now())
    version = drafts.deploy(session, people["diana"], "Nombre más claro de 5.2.6", clock.now())
    assert (version.version, version.deployed_by_id) == (2, people["diana"].id)
    assert version.comment == "Nombre más claro de 5.2.6"
    assert drafts.drafts(session) == {}
    logged = session.scalars(select(Event).where(Event.kind == "deployed")).one()
    assert logged.actor_id == people["diana"].id
    assert logged.data["cambios"] == {CASE: "modificado"}
    after = f.file_case(engine, people["citizen"])
    versions = {
        i.case_id: definitions.bundle_for(session, i.deployment_id).version
        for i in session.scalars(select(ProcessInstance))
    }
    assert versions == {before.id: 1, after.id: 2}
