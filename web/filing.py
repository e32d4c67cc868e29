"""Forms as deployed: the filing form (forms/radicar.json), task forms, their labels."""

from typing import Any

from flask import g
from sqlalchemy import select

from engine import definitions
from engine.models import Deployment, HumanTask, ProcessInstance
from web.extensions import db

FILING_FORM = "radicar.json"


def latest_bundle() -> definitions.Bundle:
    """The parsed newest version, its id read once per request (not the stored files)."""
    deployment_id = g.get("latest_deployment_id")
    if deployment_id is None:
        deployment_id = db.session.scalar(
            select(Deployment.id).order_by(Deployment.version.desc()).limit(1)
        )
        if deployment_id is None:
            definitions.latest(db.session)  # raises the engine's NotFound
        g.latest_deployment_id = deployment_id
    return definitions.bundle_for(db.session, deployment_id)


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


# Deployment bundles are immutable: their task names are listed once per bundle object.
_task_names: dict[int, tuple[definitions.Bundle, list[tuple[str, str]]]] = {}


def user_task_names() -> list[tuple[str, str]]:
    """(bpmn id, name) of every user task of the newest version: the inbox's task filter."""
    bundle = latest_bundle()
    cached = _task_names.get(id(bundle))
    if cached is None or cached[0] is not bundle:
        cached = _task_names[id(bundle)] = (bundle, bundle.user_tasks())
    return cached[1]
