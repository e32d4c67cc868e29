"""Keep an instance's state the size of what is still open.

SpiffWorkflow keeps every task it ever ran: each quality-rejection loop adds about a dozen
tasks, and loading and saving cost grows with them. The history lives in our event log, so
before each save we cut the finished part of each task tree: the new root is the deepest task
that is an ancestor of every unfinished task (all above it is finished and never read again).
"""

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState


def _path(task: Task) -> list[Task]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    return path[::-1]


def _cut(workflow, top: BpmnWorkflow) -> int:  # type: ignore[no-untyped-def]
    open_tasks = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    # A failed task is run again from its parent (an administrator's retry): keep that parent.
    open_tasks += [t.parent for t in workflow.tasks.values() if t.state == TaskState.ERROR]
    if not open_tasks:
        return 0
    common = _path(open_tasks[0])
    for task in open_tasks[1:]:
        path = _path(task)
        depth = 0
        while depth < min(len(common), len(path)) and common[depth] is path[depth]:
            depth += 1
        common = common[:depth]
    root = common[-1]
    if root is workflow.task_tree:
        return 0
    keep = {t.id for t in _descendants(root)}
    dropped = [task_id for task_id in workflow.tasks if task_id not in keep]
    for task_id in dropped:
        if task_id in top.subprocesses:
            top.delete_subprocess(workflow.tasks[task_id])
        del workflow.tasks[task_id]
    root.data = dict(root.data)  # a root stores its data whole, not as a delta
    root._parent = None
    workflow.task_tree = root
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return len(dropped)


def _descendants(task: Task) -> list[Task]:
    found, stack = [], [task]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


def prune(workflow: BpmnWorkflow) -> int:
    """Drop the finished tasks above the open ones, in the workflow and its subprocesses."""
    dropped = _cut(workflow, workflow)
    for task_id in list(workflow.subprocesses):
        if task_id in workflow.subprocesses:  # not dropped with an enclosing one
            dropped += _cut(workflow.subprocesses[task_id], workflow)
    return dropped
