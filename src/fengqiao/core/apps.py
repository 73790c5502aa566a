from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("System and audit")

    def ready(self):
        from . import jobs, signals  # noqa: F401  (signals; periodic housekeeping for huey)

        _cache_wide_statements()


def _cache_wide_statements() -> None:
    """psycopg converts each statement's placeholders again unless it has at most 50
    parameters; a matter's INSERT has more, and converting it again showed high in profiles of
    intake. Raise the limit (it only decides what the conversion cache may hold)."""
    try:
        from psycopg import _queries
    except ImportError:  # PostgreSQL driver not installed: nothing to tune
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", 128) < 128:
        _queries.MAX_CACHED_STATEMENT_PARAMS = 128
