"""Structured (JSON lines) logs with personal data masked."""

from __future__ import annotations

import json
import logging
import re

from .masking import mask_free_text

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                try:
                    json.dumps(value)
                    data[key] = value
                except TypeError:
                    data[key] = repr(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class MaskPersonalDataFilter(logging.Filter):
    """Mask ID and phone numbers that slip into a log message."""

    _digits = re.compile(r"\d{11}")

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if self._digits.search(msg):
            record.msg = mask_free_text(msg)
            record.args = ()
        return True
