"""People: citizens and staff, and the groups (lanes, areas, roles) they belong to."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base

membership = Table(
    "memberships",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_code", ForeignKey("groups.code", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    """A candidate group: a lane role (``asesor``), an area (``area_fondos``) or a staff role."""

    __tablename__ = "groups"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # lane | area | role


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Citizens log in with their document number, staff with a user name.
    username: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # citizen | staff
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(300))
    document_type: Mapped[str | None] = mapped_column(String(10))
    document_number: Mapped[str | None] = mapped_column(String(30), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    consent_policy_version: Mapped[str | None] = mapped_column(String(20))
    consent_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # A citizen may file only once they proved the address is theirs (staff are set up verified).
    email_verified_at: Mapped[datetime | None]
    groups: Mapped[list[Group]] = relationship(secondary=membership, lazy="selectin")

    @property
    def group_codes(self) -> set[str]:
        return {g.code for g in self.groups}


class UserSession(Base):
    """A login: the cookie carries a random token, the server keeps its hash and its limits.

    Logging out revokes the row, so a copied cookie is refused afterwards; ``expires_at`` is
    absolute (activity does not extend it); ``privileges`` fingerprints what the user could do
    when the session began, so a change of groups or verification rotates the session.
    """

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    privileges: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="raise_on_sql")


class AccountToken(Base):
    """A single-use, expiring token sent by e-mail (today: verifying a citizen's address).

    Only its hash is kept here; the link itself travels in the outbox row of its e-mail.
    """

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))  # verify_email
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
