"""The satisfaction survey, after the final answer: portal page (also linked from the
answer's e-mail), once per case, optional."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import satisfaction
from engine.errors import EngineError
from web.access import citizen_required, now
from web.extensions import db
from web.input_rules import bounded_int, text_error
from web.outbox import commit
from web.portal import bp
from web.portal.views import _own_case


@bp.route("/mis-casos/<radicado>/encuesta", methods=["GET", "POST"])
@citizen_required
def survey(radicado: str) -> str | Response | tuple[str, int]:
    case = _own_case(radicado)
    if not satisfaction.may_answer(db.session, case):
        flash(
            _("Ya respondió la encuesta de este caso. ¡Gracias!")
            if case.answered_at
            else _("La encuesta se responde después de recibir la respuesta final."),
            "info",
        )
        return redirect(url_for("portal.case_detail", radicado=radicado))
    errors: dict[str, str] = {}
    if request.method == "POST":
        score = bounded_int(request.form.get("puntaje"), 1, 5)
        clear = {"si": True, "no": False}.get(request.form.get("clara", ""))
        comment = request.form.get("comentario", "").strip()
        if score is None:
            errors["puntaje"] = _("Elija una calificación de 1 a 5.")
        problem = text_error(comment, satisfaction.COMMENT_MAX, multiline=True) if comment else None
        if problem:
            errors["comentario"] = problem
        if not errors:
            try:
                satisfaction.record(db.session, case, score, clear, comment, now(), g.user.id)
                commit()
            except EngineError as refused:
                db.session.rollback()
                flash(str(refused), "info")
                return redirect(url_for("portal.case_detail", radicado=radicado))
            flash(_("Gracias por responder la encuesta."), "success")
            return redirect(url_for("portal.case_detail", radicado=radicado))
    page = render_template(
        "portal/survey.html",
        case=case,
        errors=errors,
        form=request.form,
        scores=satisfaction.SCORES,
    )
    return (page, 400) if errors else page
