"""The stored state is SpiffWorkflow's JSON (written with orjson): values keep their types, a
state the fast path cannot write or read goes the ``json`` way, and old states still load."""

import json
import zlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from engine import serialization
from engine.definitions import bundle_for
from engine.models import ProcessInstance
from engine.runtime import Engine
from tests import factories as f


@pytest.fixture
def loaded(session, clock):
    """A filed case's bundle and its workflow, freshly parsed from the stored state."""
    engine = Engine(session, clock)
    f.deploy(engine)
    citizen = f.user(session, "52000111", "usuario", now=clock.now(), kind="citizen")
    case = f.file_case(engine, citizen)
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    ).one()
    bundle = bundle_for(session, instance.deployment_id)
    return bundle, bundle.load(instance.state)


def test_typed_values_in_task_data_come_back_with_their_types(loaded):
    bundle, workflow = loaded
    values = {
        "cuando": datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
        "plazo": timedelta(days=3, seconds=5),
        "ref": UUID("12345678-1234-5678-1234-567812345678"),
        "grupos": {"asesor"},
        "texto": "Añadir «comillas» y ñ",
    }
    workflow.data.update(values)
    state = bundle.dump(workflow)
    restored = bundle.load(state).data
    assert restored["cuando"] == values["cuando"]
    assert restored["plazo"] == values["plazo"]
    assert restored["ref"] == values["ref"]
    assert restored["grupos"] == ["asesor"]  # a set is stored as a list, as json did
    assert restored["texto"] == values["texto"]
    # The text is what SpiffWorkflow's own serializer writes.
    assert json.loads(zlib.decompress(state)) == json.loads(
        bundle.serializer.serialize_json(bundle.load(state))
    )


def test_a_state_the_fast_path_refuses_is_written_and_read_as_before(loaded):
    bundle, workflow = loaded
    workflow.data["por_codigo"] = {7: "siete"}  # a non-string key: orjson refuses it
    workflow.data["enorme"] = 2**70  # beyond 64 bits
    restored = bundle.load(bundle.dump(workflow)).data
    assert restored["por_codigo"] == {"7": "siete"}
    assert restored["enorme"] == 2**70


def test_a_state_written_by_json_loads(loaded):
    bundle, workflow = loaded
    workflow.data["nan"] = float("nan")
    old = zlib.compress(bundle.serializer.serialize_json(workflow).encode(), 1)  # NaN token
    restored = serialization.load(bundle.serializer, old)
    assert restored.data["nan"] != restored.data["nan"]
    assert set(restored.tasks) == set(workflow.tasks)
