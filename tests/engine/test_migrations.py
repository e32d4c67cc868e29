"""The Alembic migrations build exactly the schema the models describe."""

from alembic import command
from alembic.config import Config

from engine.database import MIGRATIONS


def test_the_migrated_schema_matches_the_models(db_engine):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.check(config)  # raises when a model change has no migration
