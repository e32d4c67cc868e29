"""Instance state as compressed JSON, with the process spec stored by reference, not embedded.

An instance row holds only its own tasks and data; the spec objects come from the parsed
bundle of the instance's deployment (``engine.definitions``). The JSON repeats task ids and
keys, so a fast zlib level shrinks it about four times for a negligible cost.

The JSON is written and read with orjson (about 30 times faster than ``json`` on a state). The
serializer's registry converts every value to plain JSON types first (UUID, datetime,
timedelta as SpiffWorkflow's typed dicts), so the text means what ``serialize_json`` writes;
anything orjson refuses (a non-string key, an integer beyond 64 bits, ``NaN`` when read) goes
the ``json`` way, as before."""

import zlib
from types import ModuleType
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter

from engine.specs import AsyncServiceTask

if TYPE_CHECKING:
    from engine.definitions import Bundle


def make_serializer(bundle: "Bundle") -> BpmnWorkflowSerializer:
    class SpecRefConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["spec"] = workflow.spec.name
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
            process_id = dct.pop("spec")
            workflow = self.target_class(
                bundle.specs[process_id], bundle.subprocess_specs[process_id], deserializing=True
            )
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    config = dict(SPIFF_CONFIG)
    config[AsyncServiceTask] = ServiceTaskConverter
    config[BpmnWorkflow] = SpecRefConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def _leftover(obj: Any) -> Any:
    """What ``serialize_json``'s encoder does with a value the registry left as it was."""
    if callable(obj) or isinstance(obj, ModuleType):
        return None
    if isinstance(obj, set):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dump(serializer: BpmnWorkflowSerializer, workflow: BpmnWorkflow) -> bytes:
    dct = serializer.to_dict(workflow)  # the registry converts every value (not encoder mode)
    dct[serializer.VERSION_KEY] = serializer.VERSION
    try:
        text = orjson.dumps(dct, default=_leftover, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        text = serializer.serialize_json(workflow).encode()
    return zlib.compress(text, 1)


def load(serializer: BpmnWorkflowSerializer, state: bytes) -> BpmnWorkflow:
    text = zlib.decompress(state)
    try:
        dct = orjson.loads(text)
    except orjson.JSONDecodeError:
        return serializer.deserialize_json(text.decode())
    serializer.migrate(dct)
    return serializer.from_dict(dct)
