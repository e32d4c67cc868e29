"""Process owners' drafts: edits of the bundle's files, never live until a version is deployed.

The working bundle is the newest deployed version with the drafts laid over it. Saving a draft
is checked against the revision the editor started from (a stale save is a conflict, not an
overwrite); deploying validates the whole working bundle, refuses while it has errors, and
creates a new version with its author and a required comment. Every save and deploy is in the
event log with its author.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import DefinitionInvalid, EngineError, NotFound
from engine.models import Deployment, Draft, Event, User
from engine.validation import Problem, validate_files

# The files a bundle is made of (definitions.BUNDLE_GLOBS), as a path a request may name.
EDITABLE_PATH = re.compile(r"(bpmn/[\w.-]+\.(bpmn|dmn)|forms/[\w.-]+\.json)")
MAX_FILE_CHARS = 2_000_000
MIN_COMMENT_CHARS = 10


class DraftConflict(EngineError):
    """Someone saved the same file since this editor loaded it."""


@dataclass
class FileChange:
    path: str
    kind: str  # "agregado" | "modificado" | "eliminado"


def check_path(path: str) -> str:
    if not EDITABLE_PATH.fullmatch(path):
        raise NotFound("Ese archivo no forma parte de la definición del procedimiento.")
    return path


def newest(session: Session) -> Deployment:
    deployment = session.get(Deployment, definitions.latest_id(session))
    if deployment is None:
        raise NotFound("No hay ninguna versión desplegada.")
    return deployment


def drafts(session: Session) -> dict[str, Draft]:
    return {draft.path: draft for draft in session.scalars(select(Draft).order_by(Draft.path))}


def working_files(session: Session) -> dict[str, str]:
    """The newest version's files with the drafts laid over them."""
    files = dict(newest(session).files)
    files.update({path: draft.content for path, draft in drafts(session).items()})
    return files


def save(
    session: Session, path: str, content: str, revision: int, user: User, now: datetime
) -> tuple[Draft, list[Problem]]:
    """Save ``content`` as the draft of ``path``; ``revision`` is the one the editor loaded."""
    check_path(path)
    if len(content) > MAX_FILE_CHARS:
        raise EngineError("El archivo es demasiado grande para guardarlo (máximo 2 MB).")
    draft = session.get(Draft, path, with_for_update=True)
    current = draft.revision if draft is not None else 0
    if revision != current:
        who = (
            draft.updated_by.full_name if draft is not None and draft.updated_by else "otra persona"
        )
        raise DraftConflict(
            f"{who} guardó este archivo después de que usted lo abrió. "
            "Recargue la página para ver su versión; sus cambios no se guardaron."
        )
    if draft is None:
        draft = Draft(path=path, revision=0, base_version=newest(session).version)
        session.add(draft)
    draft.content = content
    draft.revision = current + 1
    draft.updated_at = now
    draft.updated_by_id = user.id
    session.add(_event(now, user, "draft_saved", path, {"revision": draft.revision}))
    session.flush()
    return draft, problems_of(session, path)


def problems_of(session: Session, path: str | None = None) -> list[Problem]:
    """The working bundle's problems; with ``path``, those of that file and the bundle's own."""
    problems = validate_files(working_files(session))
    if path is None:
        return problems
    return [p for p in problems if p.file in (path, "")]


def discard(session: Session, path: str, user: User, now: datetime) -> None:
    draft = session.get(Draft, check_path(path))
    if draft is not None:
        session.delete(draft)
        session.add(_event(now, user, "draft_discarded", path, None))
        session.flush()


def changes(old: dict[str, str], new: dict[str, str]) -> list[FileChange]:
    found = [FileChange(p, "agregado") for p in sorted(new.keys() - old.keys())]
    found += [FileChange(p, "eliminado") for p in sorted(old.keys() - new.keys())]
    found += [
        FileChange(p, "modificado") for p in sorted(old.keys() & new.keys()) if old[p] != new[p]
    ]
    return sorted(found, key=lambda change: change.path)


def deploy(session: Session, user: User, comment: str, now: datetime) -> Deployment:
    """Deploy the working bundle as a new version; refused while it has errors."""
    comment = comment.strip()
    if len(comment) < MIN_COMMENT_CHARS:
        raise EngineError(
            f"Escriba un comentario de al menos {MIN_COMMENT_CHARS} caracteres que diga qué cambió."
        )
    base = newest(session)
    files = working_files(session)
    changed = changes(base.files, files)
    if not changed:
        raise EngineError("No hay cambios para desplegar: la versión vigente ya es esta.")
    errors = [p for p in validate_files(files) if p.severity == "error"]
    if errors:
        raise DefinitionInvalid(errors)
    deployment = definitions.deploy(session, files, now, user.id)
    deployment.comment = comment
    for draft in drafts(session).values():
        session.delete(draft)
    summary = {c.path: c.kind for c in changed}
    data = {"version": deployment.version, "comentario": comment, "cambios": summary}
    session.add(_event(now, user, "deployed", f"Versión {deployment.version}", data))
    session.flush()
    return deployment


def _event(now: datetime, user: User, kind: str, label: str, data: dict | None) -> Event:
    return Event(at=now, actor_id=user.id, kind=kind, label=label, data=data)
