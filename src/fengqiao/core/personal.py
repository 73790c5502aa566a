"""Personal data (PIPL art. 28): validation, normalisation and masking. Pure functions.

- ID numbers (居民身份证号码): 18 characters, GB 11643 check digit, a real birth date.
- Phone numbers: mainland mobile (1[3-9] + 9 digits) or a landline with area code.
- Names: kept, masked as the first character followed by stars.

ID and phone numbers are read after NFKC normalisation, so the full-width digits a Chinese input
method types (１１０１…, ＋８６) are the same number as the ASCII ones (one digest, one entry);
other scripts' digits are refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .inputs import has_control

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$", re.ASCII)


class PersonalDataError(ValueError):
    """A personal-data value is malformed; ``code`` names the rule it broke."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(f"{message_zh} ({message_en})")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def id_check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """Return the canonical form (upper-case X, no spaces) or raise PersonalDataError."""
    v = unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()
    if not _ID_RE.match(v):
        raise PersonalDataError("id_format", "身份证号码应为18位", "an ID number has 18 characters")
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError as exc:
        raise PersonalDataError("id_birth_date", "身份证号码中的出生日期无效", "the birth date in the ID number is invalid") from exc
    if id_check_digit(v[:17]) != v[17]:
        raise PersonalDataError("id_check_digit", "身份证号码校验位错误", "the ID number's check digit is wrong")
    return v


def normalize_phone(value: str) -> str:
    v = re.sub(r"[\s()]", "", unicodedata.normalize("NFKC", value or "").strip())
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    if _MOBILE_RE.match(v):
        return v
    if _LANDLINE_RE.match(v):
        return v
    raise PersonalDataError(
        "phone_format",
        "电话号码格式不正确(手机号11位,固话需带区号)",
        "not a mainland mobile number or a landline with area code",
    )


def normalize_name(value: str) -> str:
    """Runs of white space become one space; a control character left then is refused
    (``core.inputs.has_control``)."""
    name = re.sub(r"\s+", " ", (value or "").strip())
    if has_control(name):
        raise PersonalDataError("name_control", "姓名含有不可见的控制字符", "a name holds an invisible control character")
    return name


NORMALIZERS = {"id_number": normalize_id_number, "phone": normalize_phone, "name": normalize_name}


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if _MOBILE_RE.match(value):
        return value[:3] + "****" + value[-4:]
    if len(value) > 4:
        head = value.split("-")[0] if "-" in value else value[:4]
        return head + "-****" + value[-4:] if "-" in value else head + "****" + value[-4:]
    return "*" * len(value)


def mask_name(value: str) -> str:
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}

# Numbers in citizens' own words. Each pattern's group "hide" is what is starred; the rest is
# kept as typed. Matched on a copy with full-width digits made ASCII (one character for one,
# so positions agree), as citizens' apps type １３８….
_FREE_NUMBERS = (
    re.compile(r"(?<!\d)\d{6}(?P<hide>\d{8})\d{3}[\dXx](?!\d)"),  # ID: first 6 + last 4
    # mobile, also as 138-1234-5678 or 138 1234 5678
    re.compile(r"(?<!\d)1[3-9]\d[- ]?(?P<hide>\d{4})[- ]?\d{4}(?!\d)"),
    # landline only with its area code and a hyphen (0576-88881234): a bare run of digits could be
    # any number
    re.compile(r"(?<![\d-])0\d{2,3}-(?P<hide>\d{3,4}-?)\d{4}(?![\d-])"),
)
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ－", "0123456789Xx-")


def mask_free_text(text: str) -> str:
    """Mask ID, mobile and landline numbers embedded in free text (a citizen's words, logs):
    ID 110105********002X, mobile 138****1234, landline 0576-****1234, like the personal fields."""
    if not text:
        return text
    probe = text.translate(_WIDE_DIGITS)
    hidden = [m.span("hide") for p in _FREE_NUMBERS for m in p.finditer(probe)]
    if not hidden:
        return text
    chars = list(text)
    for a, b in hidden:
        for i in range(a, b):
            if probe[i].isdigit():
                chars[i] = "*"
    return "".join(chars)


def holds_number(text: str) -> bool:
    """Whether free text holds a number that :func:`mask_free_text` masks."""
    if not text:
        return False
    probe = text.translate(_WIDE_DIGITS)
    return any(p.search(probe) is not None for p in _FREE_NUMBERS)


def mask_nested(value):
    """:func:`mask_free_text` over every string of a JSON-like value (dicts, lists, strings);
    other values are returned as they are."""
    if isinstance(value, str):
        return mask_free_text(value)
    if isinstance(value, dict):
        return {k: mask_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_nested(v) for v in value]
    return value
