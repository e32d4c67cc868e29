"""Errors the engine raises to its callers; their messages are for the person who acted."""


class EngineError(Exception):
    """Base class; ``str(error)`` is a Spanish message fit to show to the user."""


class NotFound(EngineError):
    pass


class NotAllowed(EngineError):
    pass


class TaskConflict(EngineError):
    """Someone else changed the same instance first (optimistic lock) or the task is gone."""


class FormInvalid(EngineError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Revise los campos marcados.")
        self.errors = errors


class DefinitionInvalid(EngineError):
    """A bundle of diagrams and forms failed validation; ``problems`` says where and why."""

    def __init__(self, problems: list) -> None:  # list[engine.validation.Problem]
        super().__init__(f"La definición tiene {len(problems)} problema(s).")
        self.problems = problems
