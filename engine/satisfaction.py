"""The satisfaction survey after the final answer: once per case, optional, and its figures
for the monthly contract report."""

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.models import Case, Event, SatisfactionAnswer

SCORES = (1, 2, 3, 4, 5)
COMMENT_MAX = 1000


def may_answer(session: Session, case: Case) -> bool:
    return case.answered_at is not None and session.get(SatisfactionAnswer, case.id) is None


def record(
    session: Session,
    case: Case,
    score: int,
    answer_clear: bool | None,
    comment: str | None,
    now: datetime,
    actor_id: int,
) -> SatisfactionAnswer:
    """Keep the citizen's answer (the caller commits); a second answer is refused."""
    if case.answered_at is None:
        raise EngineError("La encuesta se responde después de recibir la respuesta final.")
    if score not in SCORES:
        raise EngineError("Elija una calificación de 1 a 5.")
    if not may_answer(session, case):
        raise EngineError("Ya respondió la encuesta de este caso. ¡Gracias!")
    answer = SatisfactionAnswer(
        case_id=case.id,
        score=score,
        answer_clear=answer_clear,
        comment=(comment or "").strip()[:COMMENT_MAX] or None,
        answered_at=now,
    )
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError as exc:  # answered at the same moment in another tab
        raise EngineError("Ya respondió la encuesta de este caso. ¡Gracias!") from exc
    session.add(
        Event(
            case_id=case.id,
            at=now,
            actor_id=actor_id,
            kind="satisfaction_answered",
            label="Encuesta de satisfacción respondida",
            data={"puntaje": score},
        )
    )
    return answer


def summary(session: Session, start: datetime, end: datetime) -> dict | None:
    """The month's answers (by the day they were given): count, average, share of 4 and 5."""
    scores = list(
        session.scalars(
            select(SatisfactionAnswer.score).where(
                SatisfactionAnswer.answered_at >= start, SatisfactionAnswer.answered_at < end
            )
        )
    )
    if not scores:
        return {"respuestas": 0}
    counts = Counter(scores)
    return {
        "respuestas": len(scores),
        "promedio": round(sum(scores) / len(scores), 2),
        "satisfechos_pct": round(100 * (counts[4] + counts[5]) / len(scores), 1),
        "por_puntaje": {str(k): counts[k] for k in SCORES},
    }
