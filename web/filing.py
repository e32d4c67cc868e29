"""Forms as deployed: the filing form (forms/radicar.json), task forms, their labels."""

from typing import Any

from flask import g
from sqlalchemy import select

from engine import definitions
from engine.models import HumanTask, ProcessInstance
from web.extensions import db

FILING_FORM = "radicar.json"


def latest_bundle() -> definitions.Bundle:
    """The parsed newest version, looked up once per request."""
    if "latest_bundle" not in g:
        g.latest_bundle = definitions.latest_bundle(db.session)
    return g.latest_bundle


def filing_schema() -> dict[str, Any]:
    """The filing form of the newest deployed version: what the engine will validate against."""
    return latest_bundle().forms[FILING_FORM]


def choice_titles(schema: dict[str, Any], name: str) -> dict[str, str]:
    prop = schema.get("properties", {}).get(name, {})
    return {c["const"]: c.get("title", c["const"]) for c in prop.get("oneOf", []) if "const" in c}


def task_schema(task: HumanTask) -> dict[str, Any]:
    """The form of a task, from the version its instance runs (no instance load needed)."""
    deployment_id = db.session.scalar(
        select(ProcessInstance.deployment_id).where(ProcessInstance.id == task.instance_id)
    )
    return definitions.bundle_for(db.session, deployment_id).forms[task.form]


def user_task_names() -> list[tuple[str, str]]:
    """(bpmn id, name) of every user task of the newest version: the inbox's task filter."""
    return latest_bundle().user_tasks
