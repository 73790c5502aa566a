"""The risk scan (风险监测): reads what came in since its last run and what is dragging on, and
raises or grows alerts through :func:`actions.raise_or_grow`.

Signals (DOMAIN.md, 全域风险感知), each switched and tuned by its :class:`RiskRule`:

- ``language`` — escalation language in a new matter received within ``window_days`` (threats,
  violence, self-harm, mass gatherings: 民转刑 risk), matched against the admin-edited
  :class:`RiskTerm` list; one alert per matter, at the most serious matched term's level.
- ``repeat_reporter`` — the same person (:func:`_person`: their ID number, else their phone, by
  the keyed digest) reporting ``threshold`` or more matters through citizen channels within
  ``window_days``.
- ``hot_topic`` — one matter reported by ``threshold`` or more people (triage's same-matter
  candidates scoring at least the grouping threshold, both ways, and matters merged into it)
  within ``window_days``.
- ``spike`` — a town's matters of one top-level category in the last 24 hours, against the
  previous ``window_days`` days (Poisson tail), never below ``threshold`` matters.
- ``reopened`` — an open matter the citizen sent back as unsatisfied ``threshold`` times.
- ``long_dispute`` — an open mediation case ``threshold`` or more days past its time limit.
- ``key_person`` — a new matter reported by someone in the key-person registry (the same phone
  or ID number), or a visit that found the person's condition abnormal.
- ``missed_visit`` — a key person whose next visit is ``threshold`` or more days overdue.
- ``missed_inspection`` — a check-point (平安点位) whose next inspection is ``threshold`` or more
  days overdue.

New matters and triage results are read by id from a cursor, re-reading the last
:data:`OVERLAP_IDS` ids so a transaction that committed late is not skipped; every signal is
idempotent (a signature names what it is about), so reading a row twice changes nothing. What a
new row ties to (a person's earlier matters, the matters that name a hot topic's members) is
read from the database, never from that overlap.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Min, Q
from django.utils import timezone, translation

from fengqiao.areas.models import Area
from fengqiao.core.personal import mask_free_text, mask_name, mask_nested
from fengqiao.events.choices import OPEN_STATES as EVENT_OPEN_STATES
from fengqiao.events.choices import Channel, State
from fengqiao.events.models import Category, Event, TimelineEntry
from fengqiao.triage.dedupe import GROUP_THRESHOLD

from . import detect
from .actions import Signal, raise_or_grow
from .choices import OPEN_STATES, Kind, Level, TermKind
from .models import AlertMatter, RiskAlert, RiskRule, RiskTerm, ScanCursor

#: ids re-read behind each cursor (a matter whose transaction committed after a higher id's)
OVERLAP_IDS = 200
BATCH = 2000
DIGESTS_PER_QUERY = 500
IDS_PER_QUERY = 500
#: channels through which citizens themselves report: a grid worker's or a department's many
#: reports are their work, not one person coming back
CITIZEN_CHANNELS = frozenset({Channel.HOTLINE_12345, Channel.POLICE_110, Channel.PETITION, Channel.CITIZEN_APP,
                              Channel.WALK_IN, Channel.OTHER})


@dataclass(frozen=True)
class Rule:
    enabled: bool
    window_days: int
    threshold: int
    level: str


#: the rules before an admin edits them (also written by migrations 0002, 0003 and 0004)
DEFAULT_RULES = {
    Kind.LANGUAGE: Rule(True, 1, 1, Level.ORANGE),
    Kind.REPEAT_REPORTER: Rule(True, 30, 3, Level.YELLOW),
    Kind.HOT_TOPIC: Rule(True, 7, 3, Level.YELLOW),
    Kind.SPIKE: Rule(True, 28, 5, Level.YELLOW),
    Kind.REOPENED: Rule(True, 90, 2, Level.ORANGE),
    Kind.LONG_DISPUTE: Rule(True, 30, 7, Level.YELLOW),
    Kind.KEY_PERSON: Rule(True, 1, 1, Level.ORANGE),
    Kind.MISSED_VISIT: Rule(True, 30, 1, Level.YELLOW),
    Kind.MISSED_INSPECTION: Rule(True, 30, 1, Level.YELLOW),
}


def rules() -> dict[str, Rule]:
    found = dict(DEFAULT_RULES)
    for r in RiskRule.objects.all():
        found[r.kind] = Rule(r.enabled, r.window_days, r.threshold, r.level)
    return found


def matcher() -> detect.TermMatcher:
    triggers, ignores = {}, []
    for phrase, kind, level in RiskTerm.objects.filter(is_active=True).values_list("phrase", "kind", "level"):
        if kind == TermKind.IGNORE:
            ignores.append(phrase)
        else:
            triggers[phrase] = level
    return detect.TermMatcher(triggers, ignores)


class _Areas:
    """Area look-ups by path, cached for one scan."""

    def __init__(self):
        self._by_path: dict[str, Area | None] = {}
        self._root = None

    def root(self) -> Area | None:
        if self._root is None:
            self._root = Area.objects.filter(parent=None).order_by("id").first()
        return self._root

    def get(self, path: str) -> Area | None:
        if not path:
            return self.root()
        if path not in self._by_path:
            self._by_path[path] = Area.objects.filter(path=path).first()
        return self._by_path[path] or self.root()

    def common(self, paths) -> Area | None:
        return self.get(detect.common_path(paths))


def _place(area_path: str, handling_path: str) -> str:
    return area_path or handling_path


def _closed_since(signatures) -> dict[str, dt.datetime]:
    """For each signature, when its last alert closed."""
    if not signatures:
        return {}
    return dict(RiskAlert.objects.filter(signature__in=list(signatures), closed_at__isnull=False)
                .values("signature").annotate(last=Max("closed_at")).values_list("signature", "last"))


def _ever(signatures) -> set[str]:
    if not signatures:
        return set()
    return set(RiskAlert.objects.filter(signature__in=list(signatures)).values_list("signature", flat=True))


PHONE, ID_NUMBER = "reporter_phone_digest", "reporter_id_number_digest"


def _phones_with_ids(matters) -> dict[str, set[str]]:
    """The ID-number digests each phone digest was given with in ``matters``."""
    out: dict[str, set[str]] = defaultdict(set)
    for m in matters:
        if m[PHONE] and m[ID_NUMBER]:
            out[m[PHONE]].add(m[ID_NUMBER])
    return out


def _person(matter: dict, phone_ids: dict[str, set[str]]) -> tuple[str, str] | None:
    """Who reported ``matter``, the same for every signal: ``("id", digest)`` when it carries an
    ID number; for a phone alone, the one ID number that phone was given with (``phone_ids``,
    :func:`_phones_with_ids`), else ``("phone", digest)`` (a family's phone, given with several
    ID numbers, stays a person of its own); ``None`` for an anonymous matter."""
    if matter[ID_NUMBER]:
        return "id", matter[ID_NUMBER]
    if not matter[PHONE]:
        return None
    ids = phone_ids.get(matter[PHONE], ())
    return ("id", next(iter(ids))) if len(ids) == 1 else ("phone", matter[PHONE])


def _near(duplicates) -> set[int]:
    """The same-matter candidates of a triage result scoring at least the grouping threshold."""
    return {int(d[0]) for d in duplicates or () if len(d) == 2 and float(d[1]) >= GROUP_THRESHOLD}


class Scan:
    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.rules = rules()
        self.areas = _Areas()
        self.counts: Counter = Counter()
        #: the cursors this scan created (a first scan over history judges fresh words only)
        self.first: set[str] = set()

    def emit(self, signal: Signal) -> None:
        if signal.area is None:  # no area tree loaded yet: nobody could read the alert
            self.counts["no_area"] += 1
            return
        _alert, what = raise_or_grow(signal, now=self.now)
        self.counts[f"{signal.kind}:{what}"] += 1

    # ------------------------------------------------------------------ cursors

    def _cursor(self, name: str, first_id) -> ScanCursor:
        cursor = ScanCursor.objects.filter(name=name).first()
        if cursor is None:
            # a first scan starts at the lowest id received within the longest window, not at the
            # beginning of history (ids mostly follow time; imported matters need not)
            # get_or_create: a scan from the command line may start at the worker's moment
            cursor, created = ScanCursor.objects.get_or_create(
                name=name, defaults={"last_id": max(0, (first_id() or 1) - 1)})
            if created:
                self.first.add(name)
        return cursor

    def _after(self, name: str, cursor: ScanCursor) -> int:
        """Where a stream is read from: behind the cursor by :data:`OVERLAP_IDS`, except on the
        scan that created it (its start is already the window's lowest id)."""
        return cursor.last_id if name in self.first else max(0, cursor.last_id - OVERLAP_IDS)

    @staticmethod
    def _advance(cursor: ScanCursor, last: int, now) -> None:
        """Move a cursor once its rows are dealt with (an alert that failed leaves them to re-read)."""
        ScanCursor.objects.filter(pk=cursor.pk, last_id__lt=last).update(last_id=last, scanned_at=now)

    def _window_start(self) -> dt.datetime:
        """How far back a first scan reads new matters: the longest window of the signals that
        read them (enabled ones)."""
        kinds = (Kind.LANGUAGE, Kind.REPEAT_REPORTER, Kind.KEY_PERSON)
        days = max([self.rules[k].window_days for k in kinds if self.rules[k].enabled] or [1])
        return self.now - dt.timedelta(days=days)

    def _fresh_since(self, kind: str) -> dt.datetime | None:
        """On the first scan only, the received time before which a matter's words are history,
        not news; afterwards the cursor says what is new (a matter entered late with an early
        received time, or read after the worker was down for a day, is still judged)."""
        if "events" not in self.first:
            return None
        return self.now - dt.timedelta(days=self.rules[kind].window_days)

    def new_matters(self) -> None:
        start = self._window_start()
        cursor = self._cursor("events", lambda: Event.objects.filter(received_at__gte=start).aggregate(
            first=Min("pk"))["first"])
        after = self._after("events", cursor)
        terms = matcher() if self.rules[Kind.LANGUAGE].enabled else None
        while True:
            rows = list(Event.objects.filter(pk__gt=after).order_by("pk").values(
                "pk", "title", "content", "area_path", "handling_path", "channel", "received_at",
                "reporter_phone_digest", "reporter_id_number_digest")[:BATCH])
            if not rows:
                break
            if terms:
                self._language(rows, terms)
            if self.rules[Kind.REPEAT_REPORTER].enabled:
                self._repeat_reporters(rows)
            if self.rules[Kind.KEY_PERSON].enabled:
                self._key_person_matters(rows)
            after = rows[-1]["pk"]
            # new matters only: the overlap re-read behind the cursor is not news
            self.counts["matters_read"] += sum(1 for r in rows if r["pk"] > cursor.last_id)
            if len(rows) < BATCH:
                break
        self._advance(cursor, after, self.now)

    # ------------------------------------------------------------------ signals

    def _language(self, rows, terms: detect.TermMatcher) -> None:
        # a first scan over months of history does not raise an alert for every angry sentence
        # of the past
        since = self._fresh_since(Kind.LANGUAGE)
        found = {}
        for row in rows:
            if since is not None and row["received_at"] < since:
                continue
            hits = terms.scan(f"{row['title']}\n{row['content']}")
            if hits:
                found[f"language:event:{row['pk']}"] = (row, hits)
        done = _ever(found)
        for signature, (row, hits) in found.items():
            if signature in done:
                continue
            level = None
            for h in hits:
                level = detect.higher(level, h.level)
            phrases = list(dict.fromkeys(h.phrase for h in hits))
            self.emit(Signal(
                kind=Kind.LANGUAGE, signature=signature, level=level,
                title=f"极端言辞「{'、'.join(phrases[:3])}」:{mask_free_text(row['title'])}",
                summary=f"事项中出现 {len(hits)} 处预警词:{'、'.join(phrases)}。请核实当事人情绪和现场情况,防止矛盾激化(民转刑)。",
                area=self.areas.get(_place(row["area_path"], row["handling_path"])),
                evidence={"event": row["pk"], "terms": mask_nested([h.as_dict() for h in hits[:10]])},
                event_ids=[row["pk"]], seen_at=row["received_at"]))

    def _repeat_reporters(self, rows) -> None:
        """One person (:func:`_person`) coming back: one alert per person, whichever of their ID
        number and phone a matter carries. Their matters are read from the database, whatever
        the new rows carry: a phone alone leads to the ID number it was given with, an ID number
        to the phones given with it, and those to the matters that carry the phone alone."""
        rule = self.rules[Kind.REPEAT_REPORTER]
        new = [r for r in rows if r["channel"] in CITIZEN_CHANNELS and (r[PHONE] or r[ID_NUMBER])]
        if not new:
            return
        since = self.now - dt.timedelta(days=rule.window_days)
        phones = {r[PHONE] for r in new if r[PHONE] and not r[ID_NUMBER]}
        by_phone = self._matters_by(PHONE, phones, since)
        ids = {r[ID_NUMBER] for r in new if r[ID_NUMBER]} | {m[ID_NUMBER] for ms in by_phone.values()
                                                             for m in ms if m[ID_NUMBER]}
        by_id = self._matters_by(ID_NUMBER, ids, since)
        more = {m[PHONE] for ms in by_id.values() for m in ms if m[PHONE]} - phones
        by_phone.update(self._matters_by(PHONE, more, since))
        matters = {m["pk"]: m for found in (by_phone, by_id) for ms in found.values() for m in ms}
        phone_ids = _phones_with_ids(matters.values())
        of_person: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for m in sorted(matters.values(), key=lambda m: (m["received_at"], m["pk"])):
            if (who := _person(m, phone_ids)) is not None:
                of_person[who].append(m)
        found: dict[str, list[dict]] = {
            f"reporter:{who[0]}:{who[1][:40]}": of_person.get(who, [])
            for who in sorted({_person(r, phone_ids) for r in new} - {None})}
        ids = {m["pk"] for ms in found.values() for m in ms}
        links = AlertMatter.objects.filter(event_id__in=ids, alert__kind=Kind.REPEAT_REPORTER)
        # matters a defused or dismissed alert held are dealt with; an open alert holding any of
        # a person's matters is that person's alert (raised under their phone or their ID)
        dealt = set(links.filter(alert__closed_at__isnull=False).values_list("event_id", flat=True))
        open_sig = dict(links.filter(alert__state__in=list(OPEN_STATES)).values_list("event_id", "alert__signature"))
        for signature, matters in found.items():
            matters = [m for m in matters if m["pk"] not in dealt]
            if len(matters) < rule.threshold:
                continue
            signature = next((open_sig[m["pk"]] for m in matters if m["pk"] in open_sig), signature)
            by_id_number = signature.startswith("reporter:id:")
            level = detect.level_for_count(len(matters), rule.threshold, rule.level)
            channels = Counter(m["channel"] for m in matters)
            if channels.get(Channel.PETITION, 0) >= 2:
                level = detect.higher(level, Level.ORANGE)  # repeat petitions (重复信访)
            latest = matters[-1]
            self.emit(Signal(
                kind=Kind.REPEAT_REPORTER, signature=signature, level=level,
                title=f"同一人{rule.window_days}天内反映{len(matters)}次:{mask_free_text(latest['title'])}",
                summary=(f"同一反映人(按{'身份证号' if by_id_number else '电话'}识别)"
                         f"{rule.window_days}天内反映 {len(matters)} 件事项,渠道:"
                         + "、".join(f"{Channel(c).label}{n}件" for c, n in channels.most_common()) + "。"),
                area=self.areas.common(_place(m["area_path"], m["handling_path"]) for m in matters),
                evidence={"count": len(matters), "by": "id_number" if by_id_number else "phone",
                          "channels": dict(channels)},
                event_ids=[m["pk"] for m in matters], seen_at=latest["received_at"]))

    def _matters_by(self, field: str, digests: set[str], since) -> dict[str, list[dict]]:
        """The citizen-channel matters since ``since`` of each digest, one query per 500."""
        out: dict[str, list[dict]] = defaultdict(list)
        keys = sorted(digests)
        for i in range(0, len(keys), DIGESTS_PER_QUERY):
            # "<> ''" lets the database use the digest's partial index (without it SQLite walks
            # the window's rows by received time for every person)
            for m in (Event.objects.filter(**{f"{field}__in": keys[i:i + DIGESTS_PER_QUERY]},
                                           received_at__gte=since, channel__in=CITIZEN_CHANNELS)
                      .exclude(**{field: ""})
                      .values(PHONE, ID_NUMBER, "pk", "title", "area_path", "handling_path", "channel",
                              "received_at")):
                out[m[field]].append(m)
        return out

    def hot_topics(self) -> None:
        """Same-matter candidates from triage, and merges (合并) operators made."""
        from fengqiao.triage.models import TriageResult

        rule = self.rules[Kind.HOT_TOPIC]
        if not rule.enabled:
            return
        since = self.now - dt.timedelta(days=rule.window_days)
        groups: list[set[int]] = []
        cursor = self._cursor("triage", lambda: TriageResult.objects.filter(created_at__gte=since).aggregate(
            first=Min("pk"))["first"])
        after = last = self._after("triage", cursor)
        for pk, event_id, dups in (TriageResult.objects.filter(pk__gt=after).order_by("pk")
                                   .values_list("pk", "event_id", "duplicates").iterator(chunk_size=BATCH)):
            last = pk
            near = _near(dups)
            if near:
                groups.append(near | {event_id})
        triage_last = last

        mcursor = self._cursor("merges", lambda: TimelineEntry.objects.filter(at__gte=since, action="merge").aggregate(
            first=Min("pk"))["first"])
        after = last = self._after("merges", mcursor)
        merged = set()  # the matters merged (the entry is on the one that joined another)
        for pk, event_id in (TimelineEntry.objects.filter(pk__gt=after, action="merge").order_by("pk")
                             .values_list("pk", "event_id")):
            last = pk
            merged.add(event_id)
        if merged:
            for pk, target in Event.objects.filter(pk__in=merged, merged_into__isnull=False).values_list(
                    "pk", "merged_into"):
                groups.append({target, pk})
        groups = _join(self._same_matter(_join(groups), since))
        if groups:
            ids = set().union(*groups)
            links = self._hot_links(ids)
            matters = {m["pk"]: m for chunk in _chunks(ids) for m in (
                Event.objects.filter(pk__in=chunk, received_at__gte=since).exclude(state=State.CANCELLED)
                .values("pk", "title", "area_path", "handling_path", "channel", "received_at", PHONE, ID_NUMBER))}
            # the reporters are counted as the repeat-reporter signal counts them (_person)
            phone_ids = self._phones_given_with_ids(
                {m[PHONE] for m in matters.values() if m[PHONE] and not m[ID_NUMBER]}, since)
            for group in groups:
                self._hot_topic(group, rule, [link for pk in group for link in links.get(pk, ())], matters,
                                phone_ids)
        self._advance(cursor, triage_last, self.now)
        self._advance(mcursor, last, self.now)

    @staticmethod
    def _same_matter(groups: list[set[int]], since: dt.datetime) -> list[set[int]]:
        """Each group grown to everything known to be the same matter: what was merged into any of
        its matters or they into, their own triage candidates (at least the grouping score), the
        matters received since ``since`` whose candidates name one of them (a and c both like b
        only), and the matters of hot-topic alerts that already hold one of them (open or closed).
        Read for all groups at once, a few queries whatever their number."""
        from fengqiao.triage.models import TriageResult

        if not groups:
            return []
        ids = set().union(*groups)
        merged: dict[int, set[int]] = defaultdict(set)  # a matter: those merged into it, or it into
        for chunk in _chunks(ids):
            for pk, target in Event.objects.filter(merged_into__in=chunk).values_list("pk", "merged_into"):
                merged[target].add(pk)
            for pk, target in Event.objects.filter(pk__in=chunk, merged_into__isnull=False).values_list(
                    "pk", "merged_into"):
                merged[pk].add(target)
        grown = [g | {m for pk in g for m in merged.get(pk, ())} for g in groups]
        near: dict[int, set[int]] = defaultdict(set)  # a matter: its candidates, and those naming it
        for chunk in _chunks(set().union(*grown)):
            for event_id, dups in TriageResult.objects.filter(event_id__in=chunk).values_list("event_id", "duplicates"):
                near[event_id] |= _near(dups)
        # no index reaches into the candidate lists: read those of the window, through the
        # matters' received-time index (one query; about a week of triage results)
        for event_id, dups in (TriageResult.objects.filter(event__received_at__gte=since).order_by()
                               .values_list("event_id", "duplicates").iterator(chunk_size=BATCH)):
            for pk in _near(dups):
                near[pk].add(event_id)
        grown = [g | {n for pk in g for n in near.get(pk, ())} for g in grown]
        alerts_of: dict[int, set[int]] = defaultdict(set)
        for chunk in _chunks(set().union(*grown)):
            for event_id, alert_id in AlertMatter.objects.filter(
                    event_id__in=chunk, alert__kind=Kind.HOT_TOPIC).values_list("event_id", "alert_id"):
                alerts_of[event_id].add(alert_id)
        held: dict[int, set[int]] = defaultdict(set)
        for chunk in _chunks(set().union(*alerts_of.values())):
            for alert_id, event_id in AlertMatter.objects.filter(alert_id__in=chunk).values_list("alert_id", "event_id"):
                held[alert_id].add(event_id)
        return [g | {e for pk in g for a in alerts_of.get(pk, ()) for e in held[a]} for g in grown]

    @staticmethod
    def _hot_links(ids: set[int]) -> dict[int, list[dict]]:
        """The hot-topic alerts holding each of ``ids``: (alert id, signature, open or not, closed)."""
        out: dict[int, list[dict]] = defaultdict(list)
        for chunk in _chunks(ids):
            for link in AlertMatter.objects.filter(event_id__in=chunk, alert__kind=Kind.HOT_TOPIC).values(
                    "event_id", "alert_id", "alert__signature", "alert__state", "alert__closed_at"):
                out[link["event_id"]].append(link)
        return out

    @staticmethod
    def _phones_given_with_ids(phones: set[str], since) -> dict[str, set[str]]:
        """The ID-number digests each of ``phones`` was given with through a citizen channel since
        ``since`` (as :func:`_phones_with_ids` over the repeat-reporter signal's matters), one
        query per 500 through the phone digest's partial index."""
        out: dict[str, set[str]] = defaultdict(set)
        keys = sorted(phones)
        for i in range(0, len(keys), DIGESTS_PER_QUERY):
            for phone, id_number in (Event.objects.filter(**{f"{PHONE}__in": keys[i:i + DIGESTS_PER_QUERY]},
                                                          received_at__gte=since, channel__in=CITIZEN_CHANNELS)
                                     .exclude(**{PHONE: ""}).exclude(**{ID_NUMBER: ""})
                                     .order_by().values_list(PHONE, ID_NUMBER).distinct()):
                out[phone].add(id_number)
        return out

    def _hot_topic(self, group: set[int], rule: Rule, links: list[dict], matters: dict[int, dict],
                   phone_ids: dict[str, set[str]]) -> None:
        """One group of the same matter (``links``: its hot-topic alert links; ``matters``: the
        matters of the window, not cancelled, by id; ``phone_ids``: the ID numbers phones were
        given with, for :func:`_person`)."""
        # the matter's alert keeps its name while it is open; once closed, a new one takes it over
        open_links = sorted((link["alert_id"], link["alert__signature"]) for link in links
                            if link["alert__state"] in OPEN_STATES)
        signature = (open_links[0][1] if open_links
                     else max(links, key=lambda link: link["alert_id"])["alert__signature"] if links
                     else f"hot:{min(group)}")
        # matters a defused or dismissed alert held are dealt with, whatever that alert was called
        dealt = {link["event_id"] for link in links if link["alert__closed_at"] is not None}
        matters = sorted((matters[pk] for pk in group if pk in matters and pk not in dealt),
                         key=lambda m: (m["received_at"], m["pk"]))
        # many people: one person telling the same thing again is the repeat-reporter signal
        reporters = {_person(m, phone_ids) or ("matter", m["pk"]) for m in matters}
        if len(matters) < rule.threshold or len(reporters) < rule.threshold:
            return
        channels = Counter(m["channel"] for m in matters)
        level = detect.level_for_count(len(reporters), rule.threshold, rule.level)
        if len(channels) >= 3:
            level = detect.higher(level, Level.ORANGE)  # one matter arriving through many channels
        first = matters[0]
        self.emit(Signal(
            kind=Kind.HOT_TOPIC, signature=signature, level=level,
            title=f"{len(reporters)}人反映同一事项:{mask_free_text(first['title'])}",
            summary=(f"{len(matters)} 件事项反映同一件事(同一事项识别或人工合并),{len(reporters)} 位反映人,渠道:"
                     + "、".join(f"{Channel(c).label}{n}件" for c, n in channels.most_common()) + "。"),
            area=self.areas.common(_place(m["area_path"], m["handling_path"]) for m in matters),
            evidence={"count": len(matters), "reporters": len(reporters), "channels": dict(channels)},
            event_ids=[m["pk"] for m in matters], seen_at=matters[-1]["received_at"]))

    def spikes(self) -> None:
        rule = self.rules[Kind.SPIKE]
        if not rule.enabled:
            return
        day = dt.timedelta(hours=24)
        start = self.now - day * (rule.window_days + 1)
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (rule.window_days + 1))
        latest: dict[tuple[str, str], list[tuple[int, dt.datetime]]] = defaultdict(list)
        rows = (Event.objects.filter(received_at__gte=start, received_at__lt=self.now)
                .exclude(state=State.MERGED)
                .values_list("pk", "area_path", "handling_path", "category__path", "received_at"))
        for pk, area_path, handling_path, category_path, received in rows.iterator(chunk_size=BATCH):
            place = _place(area_path, handling_path)
            if not place.strip("/"):
                continue
            # a matter placed at the county itself counts at the county
            town = detect.path_prefix(place, 2) or detect.path_prefix(place, 1)
            top = (category_path or "").strip("/").split("/")[0] if category_path else ""
            i = min(rule.window_days, int((self.now - received) / day))
            counts[(town, top)][i] += 1
            if i == 0:
                latest[(town, top)].append((pk, received))
        names = dict(Category.objects.filter(parent=None).values_list("code", "name"))
        candidates = {}
        for (town, top), series in counts.items():
            level, mean, p = detect.spike_level(series[0], series[1:], rule.threshold)
            if level is not None:
                area = self.areas.get(town)
                candidates[f"spike:{area.code}:{top or '-'}"] = (area, town, top, series, level, mean, p)
        # a spike that carries on (past midnight too) grows its open alert; after one was defused
        # or dismissed in the last day, only the matters it did not hold count, against the same
        # usual rate
        closed = _closed_since(candidates)
        dealt: dict[str, set[int]] = defaultdict(set)
        for sig, event_id in AlertMatter.objects.filter(
                alert__signature__in=[s_ for s_, at in closed.items() if at > self.now - day],
                alert__closed_at__gt=self.now - day).values_list("alert__signature", "event_id"):
            dealt[sig].add(event_id)
        for signature, (area, town, top, series, level, mean, p) in candidates.items():
            recent = latest[(town, top)]
            if signature in closed and closed[signature] > self.now - day:
                recent = [(pk, at) for pk, at in recent if pk not in dealt[signature]]
                level, mean, p = detect.spike_level(len(recent), series[1:], rule.threshold)
                if level is None:
                    continue
                series = [len(recent), *series[1:]]
            what = names.get(top, top) or "未分类"
            self.emit(Signal(
                kind=Kind.SPIKE, signature=signature, level=level, category_code=top,
                title=f"{area.name}「{what}」类事项激增:24小时 {series[0]} 件",
                summary=(f"{area.name}近24小时「{what}」类事项 {series[0]} 件,前 {rule.window_days} 天日均 "
                         f"{mean:.1f} 件(按泊松分布,出现这么多的概率约 {p:.1e})。"),
                area=area,
                evidence={"count": series[0], "mean": round(mean, 2), "p": p, "category": top,
                          "daily": series[1:][::-1]},
                event_ids=[pk for pk, _at in recent], seen_at=self.now))

    def reopened(self) -> None:
        rule = self.rules[Kind.REOPENED]
        if not rule.enabled:
            return
        since = self.now - dt.timedelta(days=rule.window_days)
        rows = list(Event.objects.filter(state__in=list(EVENT_OPEN_STATES), reopen_count__gte=rule.threshold,
                                         received_at__gte=since)
                    .values("pk", "title", "area_path", "handling_path", "reopen_count", "received_at"))
        counts: dict[str, int] = {}  # the most reopenings an alert already told of
        for signature, evidence in RiskAlert.objects.filter(
                signature__in=[f"reopened:{r['pk']}" for r in rows]).values_list("signature", "evidence"):
            counts[signature] = max(counts.get(signature, 0), int((evidence or {}).get("reopen_count", 0)))
        for row in rows:
            signature = f"reopened:{row['pk']}"
            if counts.get(signature, 0) >= row["reopen_count"]:
                continue
            self.emit(Signal(
                kind=Kind.REOPENED, signature=signature,
                level=detect.level_for_count(row["reopen_count"], rule.threshold, rule.level),
                title=f"群众{row['reopen_count']}次不满意退回:{mask_free_text(row['title'])}",
                summary=f"该事项已因群众不满意被重新办理 {row['reopen_count']} 次,矛盾可能激化,请研判包案。",
                area=self.areas.get(_place(row["area_path"], row["handling_path"])),
                evidence={"event": row["pk"], "reopen_count": row["reopen_count"]},
                event_ids=[row["pk"]], seen_at=self.now, news="reopen_count"))

    def long_disputes(self) -> None:
        from fengqiao.mediation.choices import OPEN_STATES as DISPUTE_OPEN
        from fengqiao.mediation.models import Dispute

        rule = self.rules[Kind.LONG_DISPUTE]
        if not rule.enabled:
            return
        late = self.now - dt.timedelta(days=rule.threshold)
        rows = list(Dispute.objects.filter(state__in=list(DISPUTE_OPEN), due_at__lt=late)
                    .values("pk", "number", "title", "area_path", "due_at", "event_id"))
        # one read of the disputes' alerts: the ones closed once, the level of the one still open
        found = list(RiskAlert.objects.filter(signature__in=[f"dispute:{r['pk']}" for r in rows])
                     .values_list("signature", "level", "closed_at"))
        closed = {sig for sig, _level, at in found if at is not None}
        levels = {sig: level for sig, level, at in found if at is None}
        # the matter a dispute came from is evidence only where the dispute's readers may see it
        places = dict(Event.objects.filter(pk__in=[r["event_id"] for r in rows if r["event_id"]])
                      .values_list("pk", "area_path"))
        for row in rows:
            signature = f"dispute:{row['pk']}"
            days = (self.now - row["due_at"]).days
            level = detect.level_for_count(days, rule.threshold, rule.level)
            if signature in closed or levels.get(signature) == level:
                continue  # defused or dismissed once; or nothing new to say
            self.emit(Signal(
                kind=Kind.LONG_DISPUTE, signature=signature, level=level,
                title=f"纠纷超期 {days} 天未化解:{mask_free_text(row['title'])}",
                summary=f"调解案件 {row['number']} 已超过调解期限 {days} 天仍未办结,请研判是否列为积案、领导包案。",
                area=self.areas.get(row["area_path"]),
                evidence={"dispute": row["pk"], "number": row["number"], "days_overdue": days},
                event_ids=[row["event_id"]] if places.get(row["event_id"], "").startswith(row["area_path"] or "~")
                else [], seen_at=self.now))

    # ------------------------------------------------------------------ key persons

    def _key_person_matters(self, rows) -> None:
        """A matter reported by a key person (重点人员): the same phone or ID number."""
        from fengqiao.grid.models import KeyPerson

        since = self._fresh_since(Kind.KEY_PERSON)
        fresh = [r for r in rows if since is None or r["received_at"] >= since]
        phones: dict[str, list[dict]] = defaultdict(list)
        ids: dict[str, list[dict]] = defaultdict(list)
        for r in fresh:
            if r["reporter_phone_digest"]:
                phones[r["reporter_phone_digest"]].append(r)
            if r["reporter_id_number_digest"]:
                ids[r["reporter_id_number_digest"]].append(r)
        if not phones and not ids:
            return
        found = {}
        for person in KeyPerson.objects.filter(is_active=True).filter(
                Q(phone_digest__in=list(phones)) | Q(id_number_digest__in=list(ids))):
            for matched, by in ((ids.get(person.id_number_digest, []) if person.id_number_digest else [], "id_number"),
                                (phones.get(person.phone_digest, []) if person.phone_digest else [], "phone")):
                for row in matched:
                    found.setdefault(f"keyperson:event:{row['pk']}", (row, person, by))
        done = _ever(found)
        for signature, (row, person, by) in found.items():
            if signature in done:
                continue
            place = _place(row["area_path"], row["handling_path"])
            self.emit(Signal(
                kind=Kind.KEY_PERSON, signature=signature, level=self.rules[Kind.KEY_PERSON].level,
                title=f"重点人员反映事项:{mask_free_text(row['title'])}",
                summary=(f"反映人与重点人员台账中的 {mask_name(person.name)} "
                         f"{'身份证号' if by == 'id_number' else '电话'}一致。请结合走访情况研判,必要时联系责任网格员。"),
                area=self.areas.common([place, person.area_path]),
                evidence={"event": row["pk"], "key_person": person.pk, "by": by, "category": person.category},
                event_ids=[row["pk"]], seen_at=row["received_at"]))

    def abnormal_visits(self) -> None:
        """A visit that found a key person's condition abnormal (走访发现异常)."""
        from fengqiao.grid.choices import Condition
        from fengqiao.grid.models import Visit

        rule = self.rules[Kind.KEY_PERSON]
        if not rule.enabled:
            return
        since = self.now - dt.timedelta(days=rule.window_days)
        cursor = self._cursor("visits", lambda: Visit.objects.filter(recorded_at__gte=since).aggregate(
            first=Min("pk"))["first"])
        after = last = self._after("visits", cursor)
        found = {}
        for visit in (Visit.objects.filter(pk__gt=after).select_related("person").order_by("pk")
                      .iterator(chunk_size=BATCH)):
            last = visit.pk
            if visit.condition == Condition.ABNORMAL and ("visits" not in self.first or visit.recorded_at >= since):
                found[f"keyperson:visit:{visit.pk}"] = visit
        done = _ever(found)
        for signature, visit in found.items():
            if signature in done:
                continue
            person = visit.person
            self.emit(Signal(
                kind=Kind.KEY_PERSON, signature=signature, level=rule.level,
                # what was found stays in the visit record (readable in the registry): an alert's
                # text goes out through every notification channel
                title=f"重点人员走访发现异常:{mask_name(person.name)}",
                summary=f"{visit.by_name or '走访人'}走访时发现情况异常,详见重点人员走访记录。请研判并处置。",
                area=self.areas.get(person.area_path),
                evidence={"key_person": person.pk, "visit": visit.pk, "category": person.category},
                seen_at=visit.visited_at))
        self._advance(cursor, last, self.now)

    # ------------------------------------------------------------------ overdue rounds

    @staticmethod
    def _overdue_alerts(signatures) -> tuple[dict[str, tuple], dict[tuple, int]]:
        """One read of the alerts of overdue visits or inspections: the open one's (level, spell)
        by signature; the highest level a closed one told of each (signature, spell). A spell is
        its due time (the evidence's ``due``): a visit or inspection, even one typed in late,
        starts a new spell with a new due time."""
        open_: dict[str, tuple] = {}
        closed: dict[tuple, int] = {}
        for sig, state, lvl, evidence in (RiskAlert.objects.filter(signature__in=list(signatures))
                                          .values_list("signature", "state", "level", "evidence")):
            spell = (evidence or {}).get("due")
            if state in OPEN_STATES:
                open_[sig] = (lvl, spell)
            else:
                closed[(sig, spell)] = max(closed.get((sig, spell), 0), detect.RANK.get(lvl, 0))
        return open_, closed

    @staticmethod
    def _overdue_level(days: int, every: int, floor: str) -> str:
        """Yellow; orange past one interval, red past two; never below the rule's level."""
        level = Level.YELLOW
        if days >= 2 * every:
            level = Level.RED
        elif days >= every:
            level = Level.ORANGE
        return detect.higher(level, floor)

    @staticmethod
    def _nothing_new(signature: str, level: str, due: dt.datetime, open_: dict, closed: dict) -> bool:
        """Whether an overdue spell (due at ``due``) was already dealt with at this level (a
        closed alert told this spell at this level or higher), or its open alert already tells
        it at this level. When an earlier alert closed plays no part: a visit typed in late starts
        a spell that may have fallen due before that alert closed."""
        spell = due.isoformat()
        if detect.RANK[level] <= closed.get((signature, spell), 0):
            return True  # this overdue spell was dealt with at this level already
        return open_.get(signature) == (level, spell)  # same spell, same level

    def missed_visits(self) -> None:
        """A key person whose visit is overdue (走访超期): yellow, orange past one interval, red past two."""
        from fengqiao.grid.models import KeyPerson

        rule = self.rules[Kind.MISSED_VISIT]
        if not rule.enabled:
            return
        late = self.now - dt.timedelta(days=rule.threshold)
        people = list(KeyPerson.objects.filter(is_active=True, next_visit_due__lt=late))
        open_, closed = self._overdue_alerts(f"visit:{p.pk}" for p in people)
        for person in people:
            signature = f"visit:{person.pk}"
            days = (self.now - person.next_visit_due).days
            level = self._overdue_level(days, person.visit_every_days, rule.level)
            if self._nothing_new(signature, level, person.next_visit_due, open_, closed):
                continue
            spell = person.next_visit_due.isoformat()
            self.emit(Signal(
                kind=Kind.MISSED_VISIT, signature=signature, level=level, news="due",
                title=f"重点人员走访超期 {days} 天:{mask_name(person.name)}",
                summary=(f"应每 {person.visit_every_days} 天走访一次,"
                         f"{'上次走访已过 ' + str((self.now - person.last_visit_at).days) + ' 天' if person.last_visit_at else '登记后尚未走访'}。"
                         "请责任网格员尽快走访并登记。"),
                area=self.areas.get(person.area_path),
                evidence={"key_person": person.pk, "days_overdue": days, "category": person.category,
                          "visit_every_days": person.visit_every_days, "due": spell},
                seen_at=self.now))

    def missed_inspections(self) -> None:
        """A check-point whose inspection is overdue (平安点位巡查超期), as :meth:`missed_visits`:
        yellow, orange past one interval, red past two. A check-point's name and kind are no
        personal data: the text names them."""
        from fengqiao.grid.choices import VisitDue
        from fengqiao.grid.models import CheckPoint, due_q

        rule = self.rules[Kind.MISSED_INSPECTION]
        if not rule.enabled:
            return
        late = self.now - dt.timedelta(days=rule.threshold)
        points = list(CheckPoint.objects.filter(due_q(VisitDue.OVERDUE, late, "next_inspection_due")).only(
            "pk", "name", "kind", "area_path", "inspect_every_days", "last_inspected_at", "next_inspection_due"))
        open_, closed = self._overdue_alerts(f"inspection:{p.pk}" for p in points)
        for point in points:
            signature = f"inspection:{point.pk}"
            days = (self.now - point.next_inspection_due).days
            level = self._overdue_level(days, point.inspect_every_days, rule.level)
            if self._nothing_new(signature, level, point.next_inspection_due, open_, closed):
                continue
            spell = point.next_inspection_due.isoformat()
            last = point.last_inspected_at
            self.emit(Signal(
                kind=Kind.MISSED_INSPECTION, signature=signature, level=level, news="due",
                title=f"平安点位巡查超期 {days} 天:{point.name}",
                summary=(f"{point.name}({point.get_kind_display()})应每 {point.inspect_every_days} 天巡查一次,"
                         f"{'上次巡查已过 ' + str((self.now - last).days) + ' 天' if last else '登记后尚未巡查'}。"
                         "请责任网格员尽快巡查并登记。"),
                area=self.areas.get(point.area_path),
                evidence={"check_point": point.pk, "days_overdue": days, "kind": point.kind,
                          "inspect_every_days": point.inspect_every_days, "due": spell},
                seen_at=self.now))

    def run(self) -> dict:
        self.new_matters()
        self.hot_topics()
        self.spikes()
        self.reopened()
        self.long_disputes()
        self.abnormal_visits()
        self.missed_visits()
        self.missed_inspections()
        return dict(sorted(self.counts.items()))


def _chunks(ids) -> Iterator[list[int]]:
    """``ids`` sorted, in lists short enough for one ``IN (…)`` of any database."""
    keys = sorted(ids)
    for i in range(0, len(keys), IDS_PER_QUERY):
        yield keys[i:i + IDS_PER_QUERY]


def _join(groups: list[set[int]]) -> list[set[int]]:
    """Union of overlapping groups (a candidate pair links two matters)."""
    parent: dict[int, int] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in groups:
        items = list(g)
        for other in items[1:]:
            parent[find(other)] = find(items[0])
    out: dict[int, set[int]] = defaultdict(set)
    for x in parent:
        out[find(x)].add(x)
    return list(out.values())


def run(now=None) -> dict:
    """One scan; returns what it did, e.g. ``{"language:raised": 2, "matters_read": 120}``.
    An alert's title and summary are stored text, written in the deployment's language
    (channel and category names included) whoever runs the scan."""
    with translation.override(settings.LANGUAGE_CODE):
        return Scan(now).run()
