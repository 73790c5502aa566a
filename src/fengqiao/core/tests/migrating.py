"""Moving the test database along its migrations, for tests of a data migration: back to the
state before it, then forward again, and at the end to the newest schema (the next tests need
the columns added since)."""

from __future__ import annotations


def migrate_to(target: tuple[str, str]):
    """Migrate to ``target`` (app, migration name); the historical models' registry there."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def migrate_to_the_end() -> None:
    """Every migration of every app: today's schema."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
