"""A citizen files while another process holds SQLite's write lock: the form comes back filled
in with a Spanish "try again" message, readable at 1280 and 390 px, with no axe violations."""

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url

from tests.web.conftest import PASSWORD, World, app_config, serving
from tests.web.test_browser import browser  # noqa: F401
from tests.web.test_studio_browser import axe, shot
from web import create_app
from web.demo import init_db
from web.extensions import db


@pytest.fixture
def busy_served(database_url: str, session_factory, clock) -> Iterator[tuple[Flask, str]]:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")
    app = create_app(app_config(database_url, clock, SQLITE_BUSY_TIMEOUT_MS=50))
    init_db(app)
    World(app).citizen()
    with serving(app) as base:
        yield app, base
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_on_sqlite_a_busy_filing_comes_back_filled_in(busy_served, browser) -> None:  # noqa: F811
    app, base = busy_served
    page: Any = browser.new_context(locale="es-CO", bypass_csp=True).new_page()
    page.goto(base + "/cuenta/ingresar")
    page.get_by_label("Número de documento").fill("1012345678")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto(base + "/radicar")
    page.get_by_label("Reclamo").check()
    page.get_by_label("Servicio").select_option(index=1)
    page.get_by_label("Asunto").fill("Cobro duplicado de la cuota")
    page.get_by_label("Descripción").fill("Me cobraron dos veces la cuota de marzo.")
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")
    try:
        page.get_by_role("button", name="Radicar").click()
        page.get_by_text("El sistema está atendiendo muchas solicitudes").wait_for()
        assert page.get_by_label("Asunto").input_value() == "Cobro duplicado de la cuota"
        shot(page, "filing-busy")
        axe(page, "filing while busy", [])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
