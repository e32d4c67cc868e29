"""Spanish names of codes (request types, services, modalities, groups) for mail and reports.

Request types, services and modalities come from the filing form (``forms/radicar.json`` of
the deployed definition), so a process owner who renames a service renames it here too.
"""

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Deployment, Group

FILING_FORM = "forms/radicar.json"


@lru_cache(maxsize=8)
def _form_titles(form_text: str) -> dict[str, dict[str, str]]:
    form = json.loads(form_text)
    titles: dict[str, dict[str, str]] = {}
    for name, prop in form.get("properties", {}).items():
        options = prop.get("oneOf") or []
        titles[name] = {o["const"]: o.get("title", o["const"]) for o in options if "const" in o}
    return titles


class Labels:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._titles: dict[str, dict[str, str]] | None = None
        self._groups: dict[str, str] | None = None

    def _form(self) -> dict[str, dict[str, str]]:
        if self._titles is None:
            files: dict[str, Any] | None = self.session.scalars(
                select(Deployment.files).order_by(Deployment.version.desc()).limit(1)
            ).first()
            text = (files or {}).get(FILING_FORM)
            self._titles = _form_titles(text) if text else {}
        return self._titles

    def of(self, field: str, code: str | None) -> str:
        if not code:
            return ""
        return self._form().get(field, {}).get(code) or code.replace("_", " ").capitalize()

    def group(self, code: str | None) -> str:
        if not code:
            return ""
        if self._groups is None:
            self._groups = dict(self.session.execute(select(Group.code, Group.name)).all())
        return self._groups.get(code) or code.replace("_", " ").capitalize()
