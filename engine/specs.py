"""How we read BPMN: the SpiffWorkflow parser with asynchronous service tasks.

A service task never runs inline: it records an outbox request on the workflow and stays
STARTED until a worker hands the result back (``Engine.complete_service``).
"""

import contextvars
from datetime import UTC, datetime

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.clock import Clock

OUTBOX_KEY = "outbox"  # on workflow.top_workflow.data while a step runs; never persisted


class AsyncServiceTask(ServiceTask):
    def _execute(self, task):  # type: ignore[no-untyped-def]
        params = {k: v["value"] for k, v in self.evaluate_params(task).items()}
        requests = task.workflow.top_workflow.data.setdefault(OUTBOX_KEY, [])
        requests.append(
            {"task_id": str(task.id), "operation": self.operation_name, "params": params}
        )
        return None  # leaves the task STARTED


class AppParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, AsyncServiceTask),
    }


# SpiffWorkflow reads the time from ``datetime.now`` inside its timer module and has no hook,
# so the engine's clock stands in for that name while an engine call runs.
_current_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("clock", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        clock = _current_clock.get()
        now = clock.now() if clock is not None else datetime.now(UTC)
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime


def use_clock(clock: Clock) -> contextvars.Token:
    return _current_clock.set(clock)


def release_clock(token: contextvars.Token) -> None:
    _current_clock.reset(token)
