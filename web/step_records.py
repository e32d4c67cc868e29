"""A step's record as people read it: who, when, and each field it submitted, by its label.

Read from the event log (``task_completed`` data) with the form of the deployed version the
instance runs, so a field added to a form shows up here with no template change. Values read
as the form offers them: a choice by its title, booleans «Sí»/«No», dates in Spanish, files as
links by name. Shared by the task page, the staff case file (and the admin console).

Form properties read here (documented in docs/bpmn-conventions.md):
- ``x-visible-despues`` (form or field): whether later steps' task pages show the field:
  ``true`` (default), ``false`` (only the staff case file), or a list of step ids.
- ``x-resultado`` (field): texts per value that say the step's outcome
  (``{"true": "Respuesta aprobada", "false": "Respuesta rechazada"}``).
- ``x-titulo-para-siguientes`` (form): the title later steps see the step's latest record
  under (``"Respuesta en revisión"``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.definitions import Bundle, bundle_for
from engine.models import Attachment, Case, Event, Group, HumanTask, ProcessInstance, User
from web.extensions import db
from web.formatting import format_day, format_moment
from web.forms import file_fields, option_titles, ordered_properties
from web.legacy_panel import LegacyPanel, legacy_panel


@dataclass
class FileLink:
    name: str
    url: str


@dataclass
class FieldLine:
    label: str
    text: str = ""
    long: bool = False  # a paragraph (keeps its line breaks), not a short value
    files: list[FileLink] = field(default_factory=list)


@dataclass
class StepRecord:
    step: str | None  # the bpmn id
    title: str
    at: datetime
    actor: str | None
    outcome: str | None = None
    fields: list[FieldLine] = field(default_factory=list)
    round: int = 1  # the how-manieth time this step was completed in the instance
    note: str | None = None  # one line for events that are not a form (claims, e-mails…)
    legacy: LegacyPanel | None = None  # a legacy look-up's result (5.2.8), as tables
    key: str = ""  # unique on the page (the event's id)


@dataclass
class CurrentStep:
    task_id: str
    name: str
    group: str
    candidate_group: str  # its code: whoever belongs to it may open the step from the case
    assignee: str | None
    due_at: datetime | None


# What staff read for events that are not a form submission (hitos and readiness are left out).
def _event_note(event: Event) -> str | None:
    data = event.data or {}
    notes = {
        "started": _("Se inició el trámite del caso."),
        "claimed": _("Tomó la tarea."),
        "released": _("Liberó la tarea."),
        "reassigned": _("Reasignó la tarea a %(who)s.", who=data.get("asignado_a", "")),
        "prorroga": _(
            "Prorrogó el término %(days)s días hábiles. Motivos: %(reasons)s",
            days=data.get("dias", ""),
            reasons=data.get("motivos", ""),
        ),
        "incident": _("Incidente: el paso automático falló y espera a un administrador."),
        "corregido": event.label or "",  # engine.forms.correction_label, in Spanish
        "service_completed": _("Correo enviado.")
        if data.get("enviado")
        else _("Paso automático realizado."),
    }
    return notes.get(event.kind)


_CASE_KINDS = ("started", "task_completed", "service_completed", "claimed", "released")
_CASE_KINDS += ("reassigned", "prorroga", "incident", "corregido")


def case_records(case: Case) -> list[StepRecord]:
    """One readable record per step of the case, oldest first: everything, for staff."""
    rows = db.session.execute(
        select(Event, User.full_name, ProcessInstance.deployment_id)
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(Event.case_id == case.id, Event.kind.in_(_CASE_KINDS))
        .order_by(Event.at, Event.id)
    ).all()
    return _records(rows, viewer_step=None)


def records_before(task: HumanTask) -> list[StepRecord]:
    """What earlier steps of the task's instance recorded and chose to show it, newest first."""
    rows = db.session.execute(
        select(Event, User.full_name, ProcessInstance.deployment_id)
        .outerjoin(User, User.id == Event.actor_id)
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(Event.instance_id == task.instance_id, Event.kind == "task_completed")
        .order_by(Event.at, Event.id)
    ).all()
    records = _records(rows, viewer_step=task.bpmn_id)
    return [r for r in reversed(records) if r.fields or r.outcome]


def instance_records(instance_id: int) -> list[StepRecord]:
    """Every form an instance's steps submitted, oldest first (an audit's whole chain)."""
    rows = db.session.execute(
        select(Event, User.full_name, ProcessInstance.deployment_id)
        .outerjoin(User, User.id == Event.actor_id)
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(Event.instance_id == instance_id, Event.kind == "task_completed")
        .order_by(Event.at, Event.id)
    ).all()
    return _records(rows, viewer_step=None)


def _records(rows: Iterable[Any], viewer_step: str | None) -> list[StepRecord]:
    rows = list(rows)
    bundles: dict[int, Bundle] = {}
    forms: list[dict[str, Any] | None] = []
    for event, _actor, deployment_id in rows:
        if deployment_id is None:
            forms.append(None)
            continue
        if deployment_id not in bundles:
            bundles[deployment_id] = bundle_for(db.session, deployment_id)
        forms.append(_form_of(bundles[deployment_id], event))
    files = _attachments(rows, forms)
    rounds: dict[str | None, int] = {}
    latest: dict[str | None, StepRecord] = {}
    titles: dict[str | None, str] = {}
    records = []
    for (event, actor, _deployment), form in zip(rows, forms, strict=True):
        if event.kind != "task_completed":
            note = _event_note(event)
            if note is not None:
                record = StepRecord(
                    event.bpmn_id, _title(event), event.at, actor, note=note, key=f"e{event.id}"
                )
                if event.kind == "service_completed":
                    record.legacy = legacy_panel(event.data)
                records.append(record)
            continue
        if form is None:
            continue
        if viewer_step is not None and not _form_visible(form, viewer_step):
            continue
        rounds[event.bpmn_id] = rounds.get(event.bpmn_id, 0) + 1
        record = StepRecord(
            event.bpmn_id,
            _title(event),
            event.at,
            actor,
            outcome=_outcome(form, event.data or {}, viewer_step),
            fields=_fields(form, event.data or {}, files, viewer_step),
            round=rounds[event.bpmn_id],
            key=f"e{event.id}",
        )
        records.append(record)
        latest[event.bpmn_id] = record
        if viewer_step is not None and form.get("x-titulo-para-siguientes"):
            titles[event.bpmn_id] = str(form["x-titulo-para-siguientes"])
    for step, title in titles.items():
        latest[step].title = title
    return records


def _title(event: Event) -> str:
    if event.kind == "started":
        return _("Inicio del trámite")
    if event.kind == "corregido":
        return _("Corrección de lo sugerido por el proceso")
    if event.kind == "incident":  # its label may be an operation id, e.g. "notify"
        return _("Falló un paso automático")
    return event.label or _("Paso del proceso")


def _form_of(bundle: Bundle, event: Event) -> dict[str, Any] | None:
    filename = bundle.form_files.get(event.bpmn_id or "")
    return bundle.forms.get(filename) if filename else None


def _form_visible(form: dict[str, Any], viewer_step: str) -> bool:
    return any(_visible(prop, form, viewer_step) for _name, prop in ordered_properties(form))


def _visible(prop: dict[str, Any], form: dict[str, Any], viewer_step: str | None) -> bool:
    if viewer_step is None:
        return True
    rule = prop.get("x-visible-despues", form.get("x-visible-despues", True))
    if isinstance(rule, list):
        return viewer_step in rule
    return bool(rule)


def _outcome(form: dict[str, Any], data: dict[str, Any], viewer_step: str | None) -> str | None:
    """The step's outcome in words, from the field marked ``x-resultado`` (if visible)."""
    for name, prop in ordered_properties(form):
        if "x-resultado" in prop and name in data and _visible(prop, form, viewer_step):
            text = prop["x-resultado"].get(_key(data[name]))
            if text:
                return str(text)
    return None


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fields(
    form: dict[str, Any],
    data: dict[str, Any],
    files: dict[str, Attachment],
    viewer_step: str | None,
) -> list[FieldLine]:
    file_names = set(file_fields(form))
    lines = []
    for name, prop in ordered_properties(form):
        value = data.get(name)
        if value is None or value == "" or value == []:
            continue
        if "x-resultado" in prop or not _visible(prop, form, viewer_step):
            continue
        label = str(prop.get("title") or name)
        if name in file_names:
            links = [_link(files[str(i)]) for i in value if str(i) in files]
            if links:
                lines.append(FieldLine(label, files=links))
            continue
        text = readable(prop, value)
        long = prop.get("x-widget") == "textarea" or "\n" in text
        lines.append(FieldLine(label, text, long))
    return lines


def readable(prop: dict[str, Any], value: Any) -> str:
    """One submitted value as the form offers it, in Spanish."""
    if isinstance(value, list):
        item = {**prop.get("items", {}), **{k: v for k, v in prop.items() if k == "format"}}
        titles = option_titles(prop)
        return ", ".join(titles.get(_key(v)) or readable(item, v) for v in value)
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    titles = option_titles(prop)
    if titles:
        return titles.get(_key(value), str(value))
    fmt = prop.get("format")
    if fmt == "date" and isinstance(value, str):
        return _safe(format_day, value)
    if fmt == "date-time" and isinstance(value, str):
        return _safe(format_moment, value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _safe(format_value: Any, value: str) -> str:
    try:
        return str(format_value(value))
    except ValueError:
        return value


def _attachments(rows: list[Any], forms: list[dict[str, Any] | None]) -> dict[str, Attachment]:
    ids = set()
    for (event, _actor, _deployment), form in zip(rows, forms, strict=True):
        if form is None or not event.data:
            continue
        for name in file_fields(form):
            for value in event.data.get(name) or []:
                if str(value).isdigit():
                    ids.add(int(value))
    if not ids:
        return {}
    found = db.session.scalars(select(Attachment).where(Attachment.id.in_(ids)))
    return {str(a.id): a for a in found}


def _link(attachment: Attachment) -> FileLink:
    return FileLink(attachment.filename, url_for("portal.attachment", attachment_id=attachment.id))


def current_steps(case: Case) -> list[CurrentStep]:
    """Where the case is now: its open tasks, with the group that has them."""
    rows = db.session.execute(
        select(HumanTask, Group.name, User.full_name)
        .outerjoin(Group, Group.code == HumanTask.candidate_group)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.case_id == case.id, HumanTask.state == "open")
        .order_by(HumanTask.created_at)
    ).all()
    return [
        CurrentStep(
            task.id,
            task.name,
            group or task.candidate_group,
            task.candidate_group,
            assignee,
            task.due_at,
        )
        for task, group, assignee in rows
    ]


def group_name(code: str | None) -> str:
    """A group's name (an area's, e.g. «Vicepresidencia de Fondos…»), never its code."""
    if not code:
        return ""
    name = db.session.scalar(select(Group.name).where(Group.code == code))
    return name or code
