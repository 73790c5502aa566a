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

_FREE_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_FREE_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_free_text(text: str) -> str:
    """Mask ID and mobile numbers embedded in free text (logs, exports of citizens' words)."""
    text = _FREE_ID.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _FREE_MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)
