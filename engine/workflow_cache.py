"""The workflows this process saved last, kept parsed: the next step of the same instance in
the same process skips deserializing the state it has just written.

An entry is used only when the instance row still holds exactly the bytes this process wrote,
under the same parsed bundle; anything else (another process wrote, the transaction rolled back,
the instance moved to another version, the parsed bundles were dropped) is a miss and the state
is parsed as usual. An entry is
taken out while a step uses it, so a step that fails halfway never leaves a half-changed
workflow behind."""

from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

if TYPE_CHECKING:
    from engine.definitions import Bundle

CAPACITY = 512

_entries: OrderedDict[int, tuple["Bundle", bytes, BpmnWorkflow]] = OrderedDict()
_lock = Lock()


def take(instance_id: int, bundle: "Bundle", state: bytes) -> BpmnWorkflow | None:
    """The parsed workflow for exactly this stored state, removed from the cache; or None."""
    with _lock:
        entry = _entries.pop(instance_id, None)
    if entry is None:
        return None
    kept_bundle, kept_state, workflow = entry
    if kept_bundle is not bundle or kept_state != state:
        return None
    return workflow


def keep(instance_id: int, bundle: "Bundle", state: bytes, workflow: BpmnWorkflow) -> None:
    """Remember the workflow just serialized into ``state``."""
    with _lock:
        _entries[instance_id] = (bundle, state, workflow)
        _entries.move_to_end(instance_id)
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)


def forget() -> None:
    with _lock:
        _entries.clear()
