"""Spanish e-mail templates (Jinja2, a text and an HTML version of each) rendered to a message."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class UnknownTemplate(LookupError):
    pass


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_"))


def render(name: str, context: dict[str, Any]) -> RenderedMail:
    """The text template's first line is the subject; the rest is the plain-text body."""
    if name not in template_names():
        raise UnknownTemplate(f"No existe la plantilla de correo '{name}'.")
    rendered = _environment.get_template(f"{name}.txt").render(context)
    subject, _, text = rendered.partition("\n")
    subject = " ".join(subject.split())
    html = _environment.get_template(f"{name}.html").render({**context, "asunto": subject})
    return RenderedMail(subject=subject, text=text.strip() + "\n", html=html)
