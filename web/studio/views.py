"""Studio pages: the working definition with its drafts and problems, the modeler, versions."""

import io
import json
import re
import unicodedata
import zipfile
from typing import Any

from flask import abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import definitions, drafts, migration
from engine.definition_diff import compare
from engine.errors import DefinitionInvalid, EngineError, NotFound
from engine.models import Deployment
from engine.validation import validate_files
from web.access import may_edit_definitions, may_read_definitions, now, permitted
from web.extensions import db
from web.forms import build_fields
from web.headers import allow_diagram_styles
from web.studio import bp

KINDS = {"bpmn": _l("Diagrama BPMN"), "dmn": _l("Tabla de decisión"), "json": _l("Formulario")}


@bp.after_request
def _diagram_styles(response: Response) -> Response:
    return allow_diagram_styles(response)


def describe(path: str, content: str) -> str:
    """The name people know a file by: its process, decision or form title."""
    try:
        if path.endswith(".json"):
            return json.loads(content).get("title") or path
        root = etree.fromstring(content.encode("utf-8"))
        for tag in ("process", "decision"):
            for element in root.iter(f"{{*}}{tag}"):
                if element.get("isExecutable") != "false" and element.get("name"):
                    return element.get("name")
    except (ValueError, etree.XMLSyntaxError):
        pass
    return path


def problem_dicts(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "file": p.file,
            "line": p.line,
            "element_id": p.element_id,
            "message": p.message,
            "severity": p.severity,
        }
        for p in problems
    ]


def _editor_url(path: str) -> str | None:
    """Where a file of the definition is edited in the studio."""
    if path.endswith(".bpmn"):
        return url_for("studio.diagram", path=path)
    if path.endswith(".dmn"):
        return url_for("studio.table", path=path)
    return url_for("studio.form", path=path)


@bp.get("/")
@permitted(may_read_definitions)
def index() -> str:
    files = drafts.working_files(db.session)
    pending = drafts.drafts(db.session)
    rows = [
        {
            "path": path,
            "name": describe(path, content),
            "kind": KINDS[path.rsplit(".", 1)[1]],
            "draft": pending.get(path),
            "is_diagram": path.endswith(".bpmn"),
            "editor": _editor_url(path),
        }
        for path, content in sorted(files.items())
    ]
    versions = db.session.scalars(
        select(Deployment).order_by(Deployment.version.desc()).limit(30)
    ).all()
    problems = drafts.problems_of(db.session) if pending else []
    return render_template(
        "studio/index.html",
        rows=rows,
        versions=versions,
        problems=problems,
        pending=pending,
        may_edit=may_edit_definitions(g.user),
        min_comment=drafts.MIN_COMMENT_CHARS,
        diagrams=[row for row in rows if row["is_diagram"]],
    )


def _editor_page(path: str, suffix: str, template: str, **extra: Any) -> str:
    """A definition file's editor: its draft (if any), revision and problems; administrators
    get it read-only."""
    drafts.check_path(path)
    files = drafts.working_files(db.session)
    if not path.endswith(suffix) or path not in files:
        abort(404)
    draft = drafts.drafts(db.session).get(path)
    return render_template(
        template,
        path=path,
        name=describe(path, files[path]),
        draft=draft,
        revision=draft.revision if draft else 0,
        problems=problem_dicts(drafts.problems_of(db.session, path)),
        may_edit=may_edit_definitions(g.user),
        **extra,
    )


@bp.get("/diagramas/<path:path>")
@permitted(may_read_definitions)
def diagram(path: str) -> str:
    return _editor_page(path, ".bpmn", "studio/diagram.html")


@bp.get("/tablas/<path:path>")
@permitted(may_read_definitions)
def table(path: str) -> str:
    """The decision table editor (dmn-js)."""
    return _editor_page(path, ".dmn", "studio/table.html")


@bp.get("/archivos/<path:path>")
@permitted(may_read_definitions)
def raw(path: str) -> Response:
    """A file of the working definition, or of a deployed ``version``."""
    drafts.check_path(path)
    version = request.args.get("version", type=int)
    if version is None:
        files = drafts.working_files(db.session)
    else:
        deployment = db.session.scalars(
            select(Deployment).where(Deployment.version == version)
        ).first()
        files = deployment.files if deployment is not None else {}
    if path not in files:
        abort(404)
    mimetype = "application/json" if path.endswith(".json") else "application/xml"
    return Response(files[path], mimetype=mimetype)


@bp.post("/borradores/<path:path>")
@permitted(may_edit_definitions)
def save_draft(path: str) -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    content, revision = body.get("contenido"), body.get("revision")
    if not isinstance(content, str) or not isinstance(revision, int):
        return jsonify(mensaje=_("La solicitud no trae el archivo y su revisión.")), 400
    try:
        draft, problems = drafts.save(db.session, path, content, revision, g.user, now())
    except NotFound:
        abort(404)
    except drafts.DraftConflict as conflict:
        db.session.rollback()
        return jsonify(mensaje=str(conflict)), 409
    except EngineError as error:
        db.session.rollback()
        return jsonify(mensaje=str(error)), 400
    db.session.commit()
    errors = sum(1 for p in problems if p.severity == "error")
    message = (
        _("Borrador guardado. Tiene %(n)s problema(s) por resolver antes de desplegar.", n=errors)
        if errors
        else _("Borrador guardado, sin problemas.")
    )
    return jsonify(mensaje=message, revision=draft.revision, problemas=problem_dicts(problems)), 200


@bp.post("/borradores/<path:path>/descartar")
@permitted(may_edit_definitions)
def discard_draft(path: str) -> Response:
    try:
        drafts.discard(db.session, path, g.user, now())
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("Se descartó el borrador de %(path)s.", path=path), "success")
    return redirect(url_for("studio.index"))


@bp.post("/desplegar")
@permitted(may_edit_definitions)
def deploy() -> Response:
    try:
        deployment = drafts.deploy(db.session, g.user, request.form.get("comentario", ""), now())
    except DefinitionInvalid as invalid:
        db.session.rollback()
        flash(
            _("No se desplegó: la definición tiene %(n)s error(es).", n=len(invalid.problems)),
            "error",
        )
        return redirect(url_for("studio.index"))
    except EngineError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("studio.index"))
    db.session.commit()
    flash(
        _(
            "Se desplegó la versión %(version)s. Los casos nuevos la usan; los casos en curso "
            "siguen en su versión.",
            version=deployment.version,
        ),
        "success",
    )
    return redirect(url_for("studio.index"))


@bp.get("/versiones/<int:version>.zip")
@permitted(may_read_definitions)
def download_version(version: int) -> Response:
    deployment = db.session.scalars(select(Deployment).where(Deployment.version == version)).first()
    if deployment is None:
        abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(deployment.files.items()):
            archive.writestr(path, content)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"atencion-virtual-v{version}.zip",
    )


def _files_of(choice: str) -> dict[str, str] | None:
    """A deployed version's files ("3"), or the working definition with its drafts ("borrador")."""
    if choice == "borrador":
        return drafts.working_files(db.session)
    if not choice.isdigit() or len(choice) > 9:
        return None
    deployment = db.session.scalars(
        select(Deployment).where(Deployment.version == int(choice))
    ).first()
    return deployment.files if deployment is not None else None


@bp.get("/comparar")
@permitted(may_read_definitions)
def compare_versions() -> str:
    versions = db.session.scalars(select(Deployment.version).order_by(Deployment.version)).all()
    newest = str(versions[-1])
    before = request.args.get("de") or (str(versions[-2]) if len(versions) > 1 else newest)
    after = request.args.get("a") or ("borrador" if drafts.drafts(db.session) else newest)
    old_files, new_files = _files_of(before), _files_of(after)
    if old_files is None or new_files is None:
        abort(404)
    changes = compare(old_files, new_files)
    diagrams = sorted({c.file for c in changes if c.file.endswith(".bpmn") and c.file in new_files})
    marks = {
        path: {
            "added": [c.element_id for c in changes if c.file == path and c.kind == "agregado"],
            "changed": [c.element_id for c in changes if c.file == path and c.kind == "modificado"],
        }
        for path in diagrams
    }
    return render_template(
        "studio/compare.html",
        versions=versions,
        before=before,
        after=after,
        changes=changes,
        diagrams=diagrams,
        marks=marks,
        kind_labels={
            "agregado": _("Agregado"),
            "eliminado": _("Eliminado"),
            "modificado": _("Modificado"),
        },
    )


# --- moving running instances to a newer version ------------------------------------------


def _chosen_version(versions: list[int]) -> int:
    chosen = request.values.get("version", type=int)
    return chosen if chosen in versions else versions[-1]


@bp.get("/migracion")
@permitted(may_read_definitions)
def migration_page() -> str:
    """The dry run: every instance on an older version, whether it can move and why not."""
    versions = db.session.scalars(select(Deployment.version).order_by(Deployment.version)).all()
    version = _chosen_version(versions)
    process = request.args.get("proceso") or None
    everything = migration.candidates(g.engine, version)
    specs = definitions.latest_bundle(db.session).specs
    processes = {
        pid: getattr(specs.get(pid), "description", None) or pid
        for pid in sorted({instance.process_id for instance in everything})
    }
    verdicts = [
        migration.check(g.engine, instance.id, version)
        for instance in everything
        if process is None or instance.process_id == process
    ]
    db.session.rollback()  # the dry run loads instances; nothing of it is kept
    return render_template(
        "studio/migration.html",
        versions=versions,
        version=version,
        process=process,
        processes=processes,
        verdicts=verdicts,
        movable=sum(1 for v in verdicts if v.movable),
        capped=len(everything) >= migration.MAX_LISTED,
        limit=migration.MAX_LISTED,
        may_edit=may_edit_definitions(g.user),
    )


@bp.post("/migracion")
@permitted(may_edit_definitions)
def migrate_instances() -> str | Response:
    """Move the chosen instances (or every one that can move), each in its own transaction."""
    versions = db.session.scalars(select(Deployment.version).order_by(Deployment.version)).all()
    version = _chosen_version(versions)
    if request.form.get("todas"):
        ids = [
            instance.id
            for instance in migration.candidates(g.engine, version, request.form.get("proceso"))
            if migration.check(g.engine, instance.id, version).movable
        ]
    else:
        ids = [int(v) for v in request.form.getlist("instancia") if v.isdigit()][:500]
    db.session.rollback()
    if not ids:
        flash(_("No eligió ninguna instancia que se pueda mover."), "error")
        return redirect(url_for("studio.migration_page", version=version))
    outcomes = migration.migrate_each(
        g.engine, ids, g.user.id, version, db.session.commit, db.session.rollback
    )
    moved = sum(1 for o in outcomes if o.moved)
    return render_template(
        "studio/migration_done.html", outcomes=outcomes, moved=moved, version=version
    )


# --- importing a diagram drawn in another tool ----------------------------------------------

NEW_DIAGRAM = "nuevo"


def _import_path(choice: str, filename: str, files: dict[str, str]) -> str | None:
    """The bundle path an imported file goes to: an existing diagram, or a new one named after
    the uploaded file."""
    if choice != NEW_DIAGRAM:
        return choice if choice in files and choice.endswith(".bpmn") else None
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")
    path = f"bpmn/{stem.lower()[:60] or 'importado'}.bpmn"
    return None if path in files else path


@bp.post("/importar")
@permitted(may_edit_definitions)
def import_diagram() -> Response:
    upload = request.files.get("archivo")
    if upload is None or not upload.filename:
        flash(_("Elija el archivo BPMN que quiere importar."), "error")
        return redirect(url_for("studio.index"))
    raw = upload.read(drafts.MAX_FILE_CHARS + 1)
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = None
    if content is None or len(raw) > drafts.MAX_FILE_CHARS:
        flash(_("El archivo debe ser texto UTF-8 de máximo 2 MB."), "error")
        return redirect(url_for("studio.index"))
    problem = import_problem(content)
    if problem:
        flash(problem, "error")
        return redirect(url_for("studio.index"))
    files = drafts.working_files(db.session)
    path = _import_path(request.form.get("destino", NEW_DIAGRAM), upload.filename, files)
    if path is None:
        flash(
            _("Ya existe un diagrama con ese nombre: elíjalo como destino para reemplazarlo."),
            "error",
        )
        return redirect(url_for("studio.index"))
    current = drafts.drafts(db.session).get(path)
    problems = drafts.save(
        db.session, path, content, current.revision if current else 0, g.user, now()
    )[1]
    db.session.commit()
    errors = sum(1 for p in problems if p.severity == "error")
    flash(
        _(
            "Se importó %(name)s como borrador de %(path)s. Revise lo señalado en el diagrama: "
            "%(errors)s error(es) y %(warnings)s aviso(s).",
            name=upload.filename,
            path=path,
            errors=errors,
            warnings=len(problems) - errors,
        ),
        "success" if not errors else "error",
    )
    return redirect(url_for("studio.diagram", path=path))


def import_problem(content: str) -> str | None:
    """Why a file cannot be opened as a diagram at all (not XML, not BPMN), in Spanish."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(content.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        return _(
            "El archivo no es XML bien formado (línea %(line)s); no se puede abrir.",
            line=error.lineno,
        )
    if etree.QName(root).localname != "definitions" or "BPMN" not in (
        etree.QName(root).namespace or ""
    ):
        return _(
            "El archivo no es un diagrama BPMN 2.0 (su raíz es «%(root)s»).",
            root=etree.QName(root).localname,
        )
    return None


# --- forms: the JSON Schema with a live preview drawn by the task page's renderer -------------


def _form_preview(path: str, content: str) -> tuple[str, list[dict[str, Any]]]:
    """The form as the task page draws it, each field with its problems, and the problems."""
    problems = problem_dicts([p for p in validate_files({path: content}) if p.file == path])
    try:
        schema = json.loads(content)
        errors = {p["element_id"]: p["message"] for p in problems if p["element_id"]}
        fields = build_fields(schema, errors=errors) if isinstance(schema, dict) else None
    except (ValueError, TypeError, AttributeError, KeyError):
        fields = None  # the problems say why
    # The task page's own markup, built by a template: inserted as HTML, not as text.
    return Markup(render_template("studio/_form_preview.html", fields=fields)), problems


@bp.get("/formularios/<path:path>")
@permitted(may_read_definitions)
def form(path: str) -> str:
    """The form editor: the JSON Schema as text, with the task page's own preview."""
    drafts.check_path(path)
    content = drafts.working_files(db.session).get(path)
    if content is None or not path.endswith(".json"):
        abort(404)
    preview, _problems = _form_preview(path, content)
    return _editor_page(path, ".json", "studio/form.html", content=content, preview=preview)


@bp.post("/formularios/<path:path>/vista-previa")
@permitted(may_edit_definitions)
def form_preview(path: str) -> tuple[Response, int]:
    drafts.check_path(path)
    content = (request.get_json(silent=True) or {}).get("contenido")
    if not isinstance(content, str) or len(content) > drafts.MAX_FILE_CHARS:
        return jsonify(mensaje=_("La solicitud no trae el formulario.")), 400
    html, problems = _form_preview(path, content)
    return jsonify(html=html, problemas=problems), 200
