"""Local development and the embedded demo: keys generated into var/, SQLite by default."""

from .base import *  # noqa: F403
