"""`flask --app web init-db` and `flask --app web seed-demo`."""

import click
from flask import Flask

from web.demo import DEMO_PASSWORD, WorkersUnavailable, init_db, seed_demo


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
