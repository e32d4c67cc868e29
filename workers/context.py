"""What a job needs, built once per process from the Flask app it runs in."""

from dataclasses import dataclass
from functools import cached_property

import redis
from flask import Flask, current_app
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock
from engine.runtime import Engine, Settings
from workers.dispatch import Dispatcher, track_new_outbox_rows
from workers.settings import WorkerSettings


@dataclass
class WorkerContext:
    app: Flask
    settings: WorkerSettings
    dispatcher: Dispatcher

    @property
    def clock(self) -> Clock:
        return self.app.extensions["clock"]

    @cached_property
    def db_engine(self) -> SqlEngine:
        # The web app's engine: configured once there (SQLite WAL and BEGIN IMMEDIATE).
        return self.app.extensions["sqlalchemy"].engine

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        factory = sessionmaker(self.db_engine, expire_on_commit=False)
        track_new_outbox_rows(factory)
        return factory

    def engine(self, session: Session) -> Engine:
        settings: Settings | None = self.app.config.get("ENGINE_SETTINGS")
        return Engine(session, self.clock, settings)

    @property
    def redis(self) -> redis.Redis:
        return self.dispatcher.client


def current_context() -> WorkerContext:
    return current_app.extensions["workers"]
