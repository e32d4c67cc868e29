"""`flask --app web init-db`, `seed-demo` and `porcentaje-revision [N --usuario admin]`."""

import click
from flask import Flask
from sqlalchemy import select

from engine.configuration import review_share, set_review_share
from engine.errors import EngineError
from engine.models import User
from web.access import is_admin
from web.demo import DEMO_PASSWORD, WorkersUnavailable, init_db, seed_demo
from web.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Migrate the database, deploy the diagrams and create the groups."""
        click.echo("Base de datos lista. " + init_db(app))

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create demo users, citizens and cases (run init-db and start the workers first)."""
        try:
            created = seed_demo(app)
        except WorkersUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        if created:
            click.echo("Casos de demostración: " + ", ".join(created))
        else:
            click.echo("Los datos de demostración ya existían.")
        click.echo(f"Contraseña de todos los usuarios de demostración: {DEMO_PASSWORD}")

    @app.cli.command("porcentaje-revision")
    @click.argument("porcentaje", type=int, required=False)
    @click.option("--usuario", help="Administrador que hace el cambio (queda registrado).")
    def review_share_command(porcentaje: int | None, usuario: str | None) -> None:
        """Show or change the share (%) of answers drawn for quality review (50 to 100)."""
        with app.app_context():
            if porcentaje is None:
                click.echo(f"Porcentaje de revisión de calidad: {review_share(db.session)} %")
                return
            admin = db.session.scalars(select(User).where(User.username == usuario)).first()
            if admin is None or not admin.active or not is_admin(admin):
                raise click.ClickException("Indique con --usuario un administrador activo.")
            try:
                set_review_share(db.session, porcentaje, admin, app.extensions["clock"].now())
            except EngineError as exc:
                raise click.ClickException(str(exc)) from exc
            db.session.commit()
            click.echo(f"Porcentaje de revisión de calidad: {porcentaje} % (por {admin.username}).")
