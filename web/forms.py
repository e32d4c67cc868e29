"""Task forms: a JSON Schema (with UI hints) turned into fields the Jinja macros render,
and the submitted HTML form turned back into the data the schema describes.

UI hints read from each property: ``title`` (label), ``description`` (hint), ``x-widget``
(``textarea``, ``radio``, ``select``, ``checkbox``, ``date``, ``datetime``, ``file``,
``hidden``), ``x-order`` (position), ``readOnly`` (shown as text, never submitted: the engine
keeps the process's value) and ``x-solo-si`` (the name of a yes/no value: the field is left
out unless that value is true, e.g. the F182 Chat section). The schema's ``required`` list
marks required fields. The engine validates the data; this module only shapes it.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from web.formatting import format_day, format_moment

BOGOTA = ZoneInfo("America/Bogota")


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool = False
    description: str | None = None
    options: list[Option] = field(default_factory=list)
    value: Any = None
    error: str | None = None
    multiple: bool = False
    read_only: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    suggestion: str | None = None  # what the process proposed, named (engine.forms.suggestions)
    autocomplete: str | None = None  # e.g. "new-password", for the browser's password manager

    @property
    def input_id(self) -> str:
        return f"campo-{self.name}"

    @property
    def hint_id(self) -> str:
        return f"ayuda-{self.name}"

    @property
    def error_id(self) -> str:
        return f"error-{self.name}"

    @property
    def suggestion_id(self) -> str:
        return f"sugerencia-{self.name}"

    @property
    def described_by(self) -> str:
        ids = []
        if self.suggestion:
            ids.append(self.suggestion_id)
        if self.description:
            ids.append(self.hint_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    def is_selected(self, option: Option) -> bool:
        if self.multiple:
            return option.value in [_as_text(v) for v in (self.value or [])]
        return _as_text(self.value) == option.value

    @property
    def shown_value(self) -> str:
        """A read-only value as people read it: options by title, Sí/No, dates in Spanish."""
        if self.value is None or self.value == "":
            return str(_l("Sin registro"))
        titles = {o.value: o.label for o in self.options}
        if titles:
            return titles.get(_as_text(self.value), _as_text(self.value))
        if isinstance(self.value, bool):
            return str(_l("Sí") if self.value else _l("No"))
        if self.widget in ("datetime", "date") and isinstance(self.value, str):
            try:
                return (
                    format_moment(self.value)
                    if self.widget == "datetime"
                    else format_day(self.value)
                )
            except ValueError:
                return self.value
        return _as_text(self.value)

    @property
    def text_value(self) -> str:
        if self.widget == "datetime" and self.value:
            return _datetime_local(self.value)
        return "" if self.value is None else _as_text(self.value)


def _as_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _datetime_local(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(BOGOTA)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _options(prop: dict[str, Any]) -> list[Option]:
    source = prop.get("items", prop) if prop.get("type") == "array" else prop
    if "oneOf" in source:
        return [
            Option(_as_text(choice["const"]), choice.get("title", _as_text(choice["const"])))
            for choice in source["oneOf"]
            if "const" in choice
        ]
    if "enum" in source:
        return [Option(_as_text(v), _as_text(v)) for v in source["enum"]]
    return []


def option_titles(prop: dict[str, Any]) -> dict[str, str]:
    """A choice field's options as {value as the form submits it: its title}."""
    return {option.value: option.label for option in _options(prop)}


def _widget(prop: dict[str, Any], options: list[Option]) -> str:
    hinted = prop.get("x-widget")
    if hinted:
        return str(hinted)
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind == "array":
        return "checkboxes" if options else "file"
    if options:
        return "select" if len(options) > 4 else "radio"
    if kind in ("integer", "number"):
        return "number"
    fmt = prop.get("format")
    if fmt == "date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    if fmt == "email":
        return "email"
    if (prop.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def ordered_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    props = list(schema.get("properties", {}).items())
    declared = {name: index for index, (name, _) in enumerate(props)}
    order = schema.get("x-order")
    if isinstance(order, list):
        rank = {name: index for index, name in enumerate(order)}
        return sorted(props, key=lambda p: (rank.get(p[0], len(rank)), declared[p[0]]))
    return sorted(props, key=lambda p: (p[1].get("x-order", 10_000), declared[p[0]]))


def build_fields(
    schema: dict[str, Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    suggestions: dict[str, str] | None = None,
) -> list[Field]:
    values = values or {}
    errors = errors or {}
    suggestions = suggestions or {}
    required = set(schema.get("required", []))
    fields = []
    for name, prop in ordered_properties(schema):
        if prop.get("x-solo-si") and values.get(prop["x-solo-si"]) is not True:
            continue
        options = _options(prop)
        widget = _widget(prop, options)
        if prop.get("type") == "boolean" and widget == "radio" and not options:
            options = [Option("true", str(_l("Sí"))), Option("false", str(_l("No")))]
        value = values.get(name, prop.get("default"))
        fields.append(
            Field(
                name=name,
                label=prop.get("title", name),
                widget=widget,
                required=name in required,
                description=prop.get("description"),
                options=options,
                value=value,
                error=errors.get(name),
                multiple=prop.get("type") == "array",
                read_only=bool(prop.get("readOnly")),
                max_length=prop.get("maxLength"),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                suggestion=suggestions.get(name),
            )
        )
    return fields


def _coerce(prop: dict[str, Any], raw: str) -> Any:
    kind = prop.get("type")
    source = prop.get("items", prop) if kind == "array" else prop
    item_kind = source.get("type")
    if item_kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if item_kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw  # "nan", "inf": not numbers here
    if item_kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _datetime_with_offset(raw: str) -> str:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BOGOTA)
    return moment.isoformat()


def parse_submission(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted form as schema-shaped data; blanks are left out so `required` catches them.

    File fields are left to the caller (they become attachment ids).
    """
    data: dict[str, Any] = {}
    for name, prop in ordered_properties(schema):
        options = _options(prop)
        widget = _widget(prop, options)
        if prop.get("readOnly") or widget == "file":
            continue
        if prop.get("type") == "array":
            data[name] = [_coerce(prop, raw) for raw in form.getlist(name) if raw != ""]
            continue
        if widget == "checkbox":
            data[name] = form.get(name) == "true"
            continue
        # Browsers send a textarea's line breaks as CRLF but count them as one character
        # against its maxlength: count them the same way here.
        raw = (form.get(name) or "").strip().replace("\r\n", "\n")
        if raw == "":
            continue
        if widget == "datetime":
            raw = _datetime_with_offset(raw)
        data[name] = _coerce(prop, raw)
    return data


def file_fields(schema: dict[str, Any]) -> list[str]:
    return [
        name for name, prop in ordered_properties(schema) if _widget(prop, _options(prop)) == "file"
    ]
