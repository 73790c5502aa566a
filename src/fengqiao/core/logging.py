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
        # the whole line, not the message alone: a request's address, an exception's text and
        # other extras carry what a client sent (a phone number in a query, an Open311 api_key)
        return _CREDENTIAL.sub(lambda m: (m.group(1) or m.group(2)) + "***",
                               mask_free_text(json.dumps(data, ensure_ascii=False)))


#: a credential in an address or a header as a log line repeats it (Open311's ``api_key``, a
#: token): the value is never written
_CREDENTIAL = re.compile(r"((?:api_key|token|password)=)[^&\s'\"]+|((?:Token|Bearer) )[0-9A-Za-z._-]{8,}")


class MaskPersonalDataFilter(logging.Filter):
    """Mask ID and phone numbers that slip into a log message."""

    _digits = re.compile(r"\d{11}")

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if self._digits.search(msg):
            record.msg = mask_free_text(msg)
            record.args = ()
        return True
