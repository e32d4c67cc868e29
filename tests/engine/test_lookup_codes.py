"""A case's look-up code: readable, typed loosely, kept only as a hash bound to the radicado."""

from engine import lookup_codes
from engine.models import Case


def test_a_code_is_eight_unambiguous_characters_in_two_groups():
    code = lookup_codes.new_code()
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(lookup_codes.ALPHABET)
    assert not set("01OIL") & set(lookup_codes.ALPHABET)


def test_the_code_matches_however_it_is_typed_and_only_for_its_case():
    case = Case(radicado="AV-2026-000123")
    case.lookup_code_hash = lookup_codes.code_hash(case.radicado, "ABCD-2345")
    assert lookup_codes.matches(case, "abcd 2345")
    assert lookup_codes.matches(case, " ABCD2345 ")
    assert not lookup_codes.matches(case, "ABCD-2346")
    assert not lookup_codes.matches(case, "")
    other = Case(radicado="AV-2026-000124", lookup_code_hash=case.lookup_code_hash)
    assert not lookup_codes.matches(other, "ABCD-2345")
    assert not lookup_codes.matches(Case(radicado="AV-2025-000001"), "ABCD-2345")
