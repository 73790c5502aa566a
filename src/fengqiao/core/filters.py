"""Query-string filters of the API: a value that cannot be read is a 400, not a silent no-op
or an empty answer.

django-filter reads a boolean through ``NullBooleanSelect``, which turns any value it does not
know (``?supervised=abc``, ``?is_active=ja``) into "no filter", so a typo answered every row as
if it had filtered. Here such a value fails validation, and ``DjangoFilterBackend`` answers
400 with the field's bilingual message (``core.api.exception_handler``).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as drf_filters
from rest_framework import filters as rest_filters

from .errors import UserError, shown

#: Filter instants are held to these years: the database cannot take year 1 at +08:00 (it is
#: year 0 in UTC) nor the day after 9999-12-31, and nothing is recorded outside them.
INSTANT_RANGE = (dt.datetime(1900, 1, 1, tzinfo=dt.UTC), dt.datetime(9000, 1, 1, tzinfo=dt.UTC))


def clamp_instant(instant: dt.datetime) -> dt.datetime:
    low, high = INSTANT_RANGE
    return low if instant < low else high if instant > high else instant


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO date-time filter held to :data:`INSTANT_RANGE` (``9999-12-31T23:59:59-23:59``
    overflowed in the database)."""

    def filter(self, qs, value):
        return super().filter(qs, clamp_instant(value) if value is not None else value)


TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (also 1/0, yes/no, on/off, any case); empty means "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        text = "" if value is None else str(value).strip().lower()
        if not text:
            return None  # no filter
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise forms.ValidationError(_("must be true or false"), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


#: the whole numbers a database column holds (a larger one overflowed in the query: a 500)
BIGINT = (-(2**63), 2**63 - 1)


class BoundedIntegerField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", BIGINT[0])
        kwargs.setdefault("max_value", BIGINT[1])
        super().__init__(*args, **kwargs)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (django-filter's number filter takes 0.5 for an id or a depth and answers
    an empty list), within what a database column holds: a console list narrowed by
    :func:`filter_listing` reads the refusal in words like any other."""

    field_class = BoundedIntegerField


class FilterSet(drf_filters.FilterSet):
    """The API's filter sets: model booleans get :class:`StrictBooleanFilter`, whole-number
    fields :class:`IntegerFilter`, and so do foreign keys (by id). django-filter's default for a
    foreign key picks from every row of the target table, so an id outside the caller's
    jurisdiction gave an empty list and an id that does not exist a 400: the difference told a
    caller which records exist elsewhere. By id, both answer an empty list."""

    FILTER_DEFAULTS = {
        **drf_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        **{f: {"filter_class": IntegerFilter} for f in (
            models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField,
            models.SmallIntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField, models.ForeignKey, models.OneToOneField)},
    }


class FilterBackend(drf_filters.DjangoFilterBackend):
    """``DjangoFilterBackend`` whose generated filter sets (``filterset_fields``) use
    :class:`FilterSet`."""

    filterset_base = FilterSet


def filter_listing(filterset_class, params, queryset, request, *, describe=None, **kwargs):
    """A console list narrowed by the API's FilterSet (one meaning for both): ``(queryset,
    errors)``. A value the FilterSet refuses empties the list and is said in words, never
    ignored; ``describe(errors)`` words the refusals (default: ``field: message``)."""
    from rest_framework.exceptions import ValidationError

    fs = filterset_class(params, queryset=queryset, request=request, **kwargs)
    try:
        if fs.is_valid():
            return fs.qs, []
        refused = fs.errors
    except ValidationError as exc:  # a filter method's own refusal
        refused = exc.detail if isinstance(exc.detail, dict) else {"filter": exc.detail}
    words = describe(refused) if describe else [refusal_words(k, v) for k, v in refused.items()]
    return queryset.none(), words


#: what the lists' filter boxes are called where a refusal names one (the key otherwise)
FILTER_LABELS = {
    "state": gettext_lazy("State"), "channel": gettext_lazy("Channel"), "urgency": gettext_lazy("Urgency"),
    "category": gettext_lazy("Category"), "area": gettext_lazy("Area"), "sla_color": gettext_lazy("Time-limit colour"),
    "level": gettext_lazy("Level"), "kind": gettext_lazy("Kind"), "overdue": gettext_lazy("Overdue"),
    "listed": gettext_lazy("Listed"), "supervised": gettext_lazy("Supervised"), "q": gettext_lazy("Search"),
    "handling": gettext_lazy("Handling unit"), "escalated": gettext_lazy("Escalated"),
    "received_from": gettext_lazy("Received from"), "received_to": gettext_lazy("Received to"),
}


def refusal_words(key: str, reasons) -> str:
    """A filter box's refusal as a list says it: the box's name in the reader's language, then why."""
    reasons = reasons if isinstance(reasons, list | tuple) else [reasons]
    return f"{FILTER_LABELS.get(key, key)}: {' '.join(str(m) for m in reasons)}"


#: ASCII letters and digits and their full-width forms (an input method types ９９号, Ａ栋)
_HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_FULL = str.maketrans(_HALF, "".join(chr(ord(c) + 0xFEE0) for c in _HALF))
_TO_HALF = str.maketrans("".join(chr(ord(c) + 0xFEE0) for c in _HALF), _HALF)


def contains_word(fields, word: str) -> models.Q:
    """Any of ``fields`` contains ``word`` (case-insensitive), its digits and letters typed half-
    or full-width: a search for 99号 finds 测试路９９号 and ９９号 finds 测试路99号. (A word mixing
    both widths finds only its own spelling.)"""
    # both cases too: SQLite's LIKE folds the case of ASCII letters only, not of Ａ and ａ
    cases = (word, word.lower(), word.upper())
    forms = {*cases, *(w.translate(table) for w in cases for table in (_TO_HALF, _TO_FULL))}
    q = models.Q(pk__in=[])
    for field in fields:
        for form in sorted(forms):
            q |= models.Q(**{f"{field}__icontains": form})
    return q


def has_nul(values) -> bool:
    """A typed query value holding NUL: PostgreSQL refuses it in a parameter, and it is never meant."""
    return any("\x00" in v for v in values)


def area_refused() -> str:
    """The message of an area code outside the user's reach, in the request's language."""
    return _("Unknown area or outside your jurisdiction: %(value)s")


class ListFilters:
    """A console list's filter boxes read through the API's FilterSet, so a filter means the same
    on the page and in the API. ``apply(request)`` gives ``(queryset, shown, errors)``: the
    user's entries (``restrict(user, "view")`` of the FilterSet's model) narrowed by the boxes;
    the boxes as the page shows them again and its links carry them; and the refusals in words.

    - ``keys``: the boxes read; those in ``multiple`` take several values (any of them), the
      others the last one given. Each is stripped; a free-text search named in ``cut`` is cut
      to its length (cut, not refused), any other value is read whole, so the FilterSet
      refuses what it would refuse in the API.
    - ``said``: per box, the message naming a value the FilterSet refuses (``%(value)s``); of a
      multiple box, only its values ``kinds`` (a choices class) does not know are named.
    - ``in_reach(user, code)``: whether an ``area`` code is one the user's entries can lie in.
      Another area's code is said, never widened.
    - ``out``: the console's word for the API's ``active=false`` (``removed``, ``moved_out``);
      ``yes_no``: boxes shown as ``true``/``false`` however typed (``1``, ``on``).
    - A value holding NUL, an unknown area or a refused value empties the list; it is never
      ignored."""

    def __init__(self, filterset_class, keys, *, said: dict, in_reach, multiple=(), kinds=None, out: str = "",
                 yes_no=(), cut: dict | None = None):
        self.filterset_class, self.keys, self.said, self.in_reach = filterset_class, tuple(keys), said, in_reach
        self.multiple, self.kinds, self.out = tuple(multiple), kinds, out
        self.yes_no, self.cut = tuple(yes_no), cut or {}

    def read(self, request) -> dict:
        """The boxes as typed: a list of values for a multiple box, else one string."""
        query = {}
        for key in self.keys:
            limit = self.cut.get(key)
            if key in self.multiple:  # empty ones and repeats dropped (an old single box sent kind= for "any")
                query[key] = [v for v in dict.fromkeys(v.strip()[:limit] for v in request.GET.getlist(key)) if v]
            else:
                query[key] = request.GET.get(key, "").strip()[:limit]
        return query

    def shown(self, query: dict) -> dict:
        """The boxes as the page shows them: ``active`` in the console's words and a yes/no box as
        ``true``/``false``; a value neither reads is kept as typed (it is refused)."""
        shown = {}
        for key, value in query.items():
            if key == "active" and self.out:
                value = {"false": self.out, "true": ""}.get(value, value)
            elif key in self.yes_no:
                value = "true" if value.lower() in TRUE else "false" if value.lower() in FALSE else value
            if value:
                shown[key] = value
        return shown

    def refusals(self, refused, query: dict) -> list[str]:
        """The FilterSet's refusals, each as the list's message naming the value typed."""
        words = []
        for key, refusal in refused.items():
            value = query.get(key, "")
            if isinstance(value, list):
                known = self.kinds.values if self.kinds is not None else ()
                value = ", ".join([v for v in value if v not in known] or value)
            said = self.said.get(key) or (area_refused() if key == "area" else None)
            words.append(said % {"value": value} if said else refusal_words(key, refusal))
        return words

    def apply(self, request, **kwargs):
        """``(queryset, shown, errors)``; ``kwargs`` go to the FilterSet (``now``, ``today``)."""
        user = request.user
        qs = self.filterset_class._meta.model.objects.restrict(user, "view")
        query = self.read(request)
        values = [v for value in query.values() for v in (value if isinstance(value, list) else [value])]
        if has_nul(values):
            clean = {k: [x.replace("\x00", "") for x in v] if isinstance(v, list) else v.replace("\x00", "")
                     for k, v in query.items()}
            return qs.none(), {k: v for k, v in clean.items() if v}, [_("Invalid characters.")]
        shown = self.shown(query)
        errors = []
        if query.get("area") and not self.in_reach(user, query["area"]):
            errors.append(area_refused() % {"value": query["area"]})
        params = QueryDict(mutable=True)
        for key, value in shown.items():
            if isinstance(value, list):
                params.setlist(key, value)
            else:
                params[key] = "false" if key == "active" and self.out and value == self.out else value
        qs, refused = filter_listing(self.filterset_class, params, qs, request,
                                     describe=lambda refusals: self.refusals(refusals, query), **kwargs)
        errors += refused
        return (qs.none() if errors else qs), shown, errors


class OrderingFilter(rest_filters.OrderingFilter):
    """DRF's ``?ordering=`` with a 400 naming the allowed fields when a term is not one of them
    (DRF drops such a term and answers in the default order, as if it had been understood)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [t.strip() for t in params.split(",") if t.strip()]
            valid = self.remove_invalid_fields(queryset, terms, view, request)
            if len(valid) != len(terms):
                allowed = sorted(name for name, _label in self.get_valid_fields(queryset, view, {"request": request}))
                listed = ", ".join(allowed)[:300]
                raise UserError("bad_ordering", f"不能按此排序: {shown(params)};可用: {listed}(前加 - 为倒序)",
                                f"cannot order by {shown(params)}; use one of: {listed} (prefix - to reverse)",
                                field=self.ordering_param)
        return super().get_ordering(request, queryset, view)
