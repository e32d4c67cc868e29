"""An administrator changes the quality-review share from the command line (50 to 100)."""

from engine.configuration import REVIEW_SHARE
from engine.models import Setting
from web.extensions import db


def test_an_administrator_raises_the_share_and_it_is_recorded(app, world):
    admin_id = world.staff("admin", "administrador")
    world.staff("asesor", "asesor")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["porcentaje-revision", "70", "--usuario", "admin"])
    assert result.exit_code == 0, result.output
    assert "70 %" in result.output
    with app.app_context():
        row = db.session.get(Setting, REVIEW_SHARE)
        assert (row.value, row.updated_by_id) == ("70", admin_id)
    assert "70 %" in runner.invoke(args=["porcentaje-revision"]).output


def test_below_the_floor_or_by_a_non_administrator_is_refused_in_spanish(app, world):
    world.staff("admin", "administrador")
    world.staff("asesor", "asesor")
    runner = app.test_cli_runner()
    low = runner.invoke(args=["porcentaje-revision", "40", "--usuario", "admin"])
    assert low.exit_code != 0 and "entre 50 y 100" in low.output
    other = runner.invoke(args=["porcentaje-revision", "80", "--usuario", "asesor"])
    assert other.exit_code != 0 and "administrador" in other.output
    with app.app_context():
        assert db.session.get(Setting, REVIEW_SHARE).value == "100"  # the fixture's share
