"""What staff see of a case: its text, attachments, where it is now and each step's record."""

from dataclasses import dataclass

from sqlalchemy import select

from engine.models import Attachment, Case, User
from web.extensions import db
from web.step_records import CurrentStep, StepRecord, case_records, current_steps, group_name


@dataclass
class CaseFile:
    case: Case
    citizen: User | None
    attachments: list[Attachment]
    area: str  # the area's name, not its group code
    current: list[CurrentStep]
    records: list[StepRecord]
    uploaders: dict[int, str]  # who attached each file: user id -> name


def load_case_file(case: Case, with_records: bool = True) -> CaseFile:
    """The case file; the task page leaves out the records (it shows the earlier steps')."""
    attachments = list(
        db.session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )
    )
    uploader_ids = {a.uploaded_by_id for a in attachments}
    uploaders = dict(
        db.session.execute(select(User.id, User.full_name).where(User.id.in_(uploader_ids))).all()
    )
    return CaseFile(
        case=case,
        citizen=db.session.get(User, case.citizen_id),
        attachments=attachments,
        area=group_name(case.area),
        current=current_steps(case),
        records=case_records(case) if with_records else [],
        uploaders=uploaders,
    )
