"""The one interface every legacy adapter offers."""

from typing import Any, Protocol

# Code -> the name the Asesor knows it by.
SYSTEMS: dict[str, str] = {
    "cctex": "C&CTEX (crédito y cartera)",
    "cobol": "COBOL (créditos históricos)",
    "foxpro": "FOX PRO (fondos en administración)",
}


class LegacyAdapter(Protocol):
    source: str

    def lookup(self, system: str, document: str) -> dict[str, Any] | None:
        """The system's record of a person (by document number), or None when it has none.

        Raises ``TransientFailure`` when the system cannot be reached or is too slow, and
        ``PermanentFailure`` when it answers that the request itself is wrong.
        """
        ...
