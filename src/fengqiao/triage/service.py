"""Triage on intake (研判): what a matter is, where it is, who should handle it, whether it repeats.

Per process, built lazily and kept until something they read changes:

* the **classifier**: the active :class:`~.models.ModelVersion` (checked every few seconds, so
  activating or rolling back in one process reaches the others; its file's sha256 checked
  before it is loaded), else the keyword rules — also when the model's file cannot be used or
  the model raises while classifying;
* the **gazetteer**: an Aho–Corasick automaton over town/village names and aliases and the
  admin's :class:`~.models.PlaceName` list, and a shapely ``STRtree`` over area polygons;
* the **routing rules**;
* the **same-matter index**: one :class:`~.dedupe.Index` per town over its recent matters,
  filled from the database on first use, updated on every triaged matter and caught up with
  matters other processes took in (``pk > last seen``), never a scan of all matters.

Signals (see :mod:`.apps`) drop the caches when areas, place names or rules are saved here;
other processes notice within ``CACHE_SECONDS``.

:func:`triage_event` never raises: a failure is logged and stored on the result as an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fengqiao.areas.models import Area, Department, Level, subtree_q
from fengqiao.core.errors import UserError
from fengqiao.core.memo import Memo
from fengqiao.events import transitions
from fengqiao.events.choices import OPEN_STATES, State
from fengqiao.events.models import Category, Event, TimelineEntry

from . import dedupe
from .models import KeywordRule, ModelKind, ModelVersion, PlaceName, RoutingRule, TriageResult
from .suggestion import Suggestion

log = logging.getLogger(__name__)

CACHE_SECONDS = 300  # gazetteer / rules rebuilt at least this often (other processes' edits)
MODEL_CHECK_SECONDS = 10  # how often a process asks which model version is active
DEFAULT_CONFIDENCE = 0.5  # below it a matter needs a person (FENGQIAO_TRIAGE_CONFIDENCE)
DEDUPE_WINDOW_DAYS = 30  # FENGQIAO_TRIAGE_DEDUPE_DAYS
DEDUPE_MIN_SCORE = 0.3  # FENGQIAO_TRIAGE_DEDUPE_MIN_SCORE
#: a candidate scored this or more is shown as likely the same matter, one under it as perhaps
#: related: on the labelled TipDM pairs a pair under 0.4 is the same matter about one time in
#: three, one above it about four in five (benchmarks/triage_duplicates.py, score bands)
LIKELY_SAME_SCORE = 0.4

DEDUPE_WARM_LIMIT = 20000  # matters loaded per town when its index is first built
DEDUPE_CATCHUP_SECONDS = 5.0
#: What operators read on a matter whose triage failed (stored, so in both languages; the
#: exception itself is in the server log, never shown).
TRIAGE_FAILED = ("自动研判出错，请人工研判（详情见服务器日志） / "
                 "automatic triage failed: a person decides (details in the server log)")
STORE_FAILED = ("自动研判结果未能保存，请人工研判（详情见服务器日志） / "
                "the triage result could not be stored: a person decides (details in the server log)")
LEVEL_DEPTH = {Level.COUNTY: 0, Level.TOWN: 1, Level.VILLAGE: 2, Level.GRID: 3, Level.MICROGRID: 4}


def likely_same(score: float) -> bool:
    """Whether a candidate reads as likely the same matter, judged on the score as shown (two
    places, per cent), so 0.398 shown as 40 % is not called "perhaps" beside another 40 %."""
    return round(float(score), 2) >= LIKELY_SAME_SCORE


def takes_repeats(state: str) -> bool:
    """Whether a candidate in ``state`` is still being worked on (received to in progress), so a
    repeat is offered to be merged into it; one resolved is about to be verified and closed."""
    return state in transitions.OPEN

_lock = threading.RLock()
_cache: dict = {}


def setting(name: str, default):
    value = getattr(settings, name, None)
    return default if value is None else value


def invalidate() -> None:
    """Drop the gazetteer, keyword and routing caches of this process (the routing history
    included: it is otherwise recounted every ten minutes)."""
    with _lock:
        for key in ("gazetteer", "spatial", "keywords", "routes", "categories"):
            _cache.pop(key, None)
    _history_counts.clear()


def invalidate_model() -> None:
    with _lock:
        _cache.pop("model", None)
        _cache.pop("model_failure", None)


def reset() -> None:
    """Drop every cache, the same-matter indexes and the per-process memos included (tests,
    after a bulk import)."""
    with _lock:
        _cache.clear()
    for memo in (_areas, _departments, _history_counts):
        memo.clear()


def _cached(key: str, build, ttl: float = CACHE_SECONDS):
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = build()
        _cache[key] = (time.monotonic(), value)
        return value


# ====================================================================== categories / classifier


@dataclass
class CatInfo:
    code: str
    name: str
    path: str
    pk: int


def _categories() -> dict[str, CatInfo]:
    def build():
        return {c.code: CatInfo(c.code, c.name, c.path, c.pk)
                for c in Category.objects.filter(is_active=True).only("code", "name", "path")}

    return _cached("categories", build)


def _label_info(label: str) -> dict:
    cats = _categories()
    info = cats.get(label)
    if info is None:  # a model trained on names (e.g. imported history)
        info = next((c for c in cats.values() if c.name == label), None)
    return {"code": info.code if info else label, "name": info.name if info else label}


#: votes for "none of these" beside the rules' scores: one keyword found is not a decision (a
#: single hit of a word of up to five characters at weight 1 stays under the default 0.5 and
#: waits for a person), two agreeing keywords reach it
UNKNOWN_VOTES = 2.0


class KeywordClassifier:
    """Cold start (冷启动): sums the weights of the rule keywords found in a text."""

    name = "keyword-rules"

    def __init__(self, rules: list[tuple[str, list[str], float]]):
        import ahocorasick

        self.automaton = None
        words: dict[str, list[tuple[str, float]]] = {}
        for code, keywords, weight in rules:
            for kw in keywords:
                kw = (kw or "").strip().lower()
                if kw:
                    words.setdefault(kw, []).append((code, weight))
        if words:
            a = ahocorasick.Automaton()
            for kw, targets in words.items():
                a.add_word(kw, (kw, targets))
            a.make_automaton()
            self.automaton = a

    def predict_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        if self.automaton is None or not text:
            return []
        scores: dict[str, float] = {}
        seen: set[str] = set()
        for _end, (kw, targets) in self.automaton.iter(text.lower()):
            if kw in seen:  # a keyword counts once, however often it is repeated
                continue
            seen.add(kw)
            for code, weight in targets:
                scores[code] = scores.get(code, 0.0) + weight * (1.0 + 0.25 * (len(kw) - 2))
        if not scores:
            return []
        total = sum(scores.values()) + UNKNOWN_VOTES
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return [(code, round(s / total, 4)) for code, s in ranked]


def keyword_classifier() -> KeywordClassifier:
    def build():
        rows = KeywordRule.objects.filter(is_active=True, category__is_active=True).values_list(
            "category__code", "keywords", "weight")
        return KeywordClassifier([(c, list(k or []), float(w)) for c, k, w in rows])

    return _cached("keywords", build)


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _checked(mv: ModelVersion, read):
    """``read(path)`` of ``mv``'s file, and the sha256 ``digest(result)`` computes of it, after
    checking that the file is there and that the sha256 is the one recorded when it was
    registered. Raises :class:`UserError` (``model_missing``, ``model_no_checksum``,
    ``model_unreadable``, ``model_checksum``) otherwise."""
    if mv.file_removed_at is not None:
        raise removed_error(mv)
    path = mv.path()
    if not path.is_file():
        raise UserError("model_missing", f"模型文件不存在: {mv.file}", f"the model file is missing: {mv.file}")
    if not mv.sha256:
        raise UserError("model_no_checksum", f"模型版本 v{mv.version} 未记录校验值，请重新登记该文件",
                        f"no sha256 was recorded for model version v{mv.version}: register the file again")
    try:
        result, digest = read(path)
    except OSError as exc:
        raise UserError("model_unreadable", f"模型文件无法读取: {mv.file} ({exc.strerror})",
                        f"the model file cannot be read: {mv.file} ({exc.strerror})") from exc
    if digest != mv.sha256:
        raise UserError("model_checksum", f"模型文件的校验值与登记时不符（文件被替换或损坏）: {mv.file}",
                        f"the model file's sha256 differs from the one recorded at registration "
                        f"(replaced or damaged): {mv.file}")
    return result


def removed_error(mv: ModelVersion) -> UserError:
    """The refusal of a version whose file was removed when a later retraining replaced it."""
    return UserError("model_removed",
                     f"模型 v{mv.version} 的文件已删除：它从未启用，已被之后的重训取代",
                     f"the file of model v{mv.version} was removed: it was never put to use and a later "
                     f"retraining took its place")


def verify_file(mv: ModelVersion):
    """The path of ``mv``'s file, after checking that it is there and that its sha256 is the one
    recorded when it was registered (:func:`_checked`; the file is hashed, not kept)."""
    return _checked(mv, lambda path: (path, sha256_of(path)))


def _read_with_digest(path) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def load_version(mv: ModelVersion):
    """``mv``'s :class:`~.classifier.CategoryModel`, its file checked first (:func:`_checked`).
    The file is read once: the bytes whose sha256 was checked are the bytes loaded, so a file
    swapped between the check and the load cannot slip through. Raises :class:`UserError` when
    the file is missing, altered, damaged or asks to trust unsafe types."""
    from . import classifier

    data = _checked(mv, _read_with_digest)
    try:
        return classifier.loads(data, source=mv.file)
    except classifier.ModelFileError as exc:
        raise UserError("bad_model", f"模型文件不可用: {exc.zh}", f"the model file cannot be used: {exc.en}") from exc


def _file_stamp(path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def active_model():
    """``(ModelVersion, CategoryModel)`` of the active category model, or ``(None, None)``.

    A file that is missing, whose sha256 is not the recorded one, or that cannot be loaded is
    logged once (until the file or the active version changes) and the keyword rules are used.
    """
    hit = _cache.get("model")
    now = time.monotonic()
    if hit is not None and now - hit[0] < setting("FENGQIAO_TRIAGE_MODEL_CHECK_SECONDS", MODEL_CHECK_SECONDS):
        return hit[1]
    with _lock:
        active = ModelVersion.objects.filter(kind=ModelKind.CATEGORY, is_active=True).first()
        current = hit[1] if hit is not None else (None, None)
        if active is None:
            value = (None, None)
        elif current[0] is not None and current[0].pk == active.pk and current[0].sha256 == active.sha256:
            value = current
        else:
            value = (None, None)
            key = (active.pk, active.sha256, _file_stamp(active.path()))
            if _cache.get("model_failure") != key:  # the same broken file is reported once
                try:
                    value = (active, load_version(active))
                    _cache.pop("model_failure", None)
                except UserError as exc:
                    log.error("active triage model v%s cannot be used (%s); using the keyword rules",
                              active.version, exc.en)
                    _cache["model_failure"] = key
                except Exception:
                    log.exception("active triage model v%s cannot be loaded; using the keyword rules",
                                  active.version)
                    _cache["model_failure"] = key
        _cache["model"] = (time.monotonic(), value)
        return value


def describe_params(params: dict | None) -> str:
    """The training parameters of a model (its metadata's ``params``) on one line, neighbour
    votes included (ADR 0112): ``C=1.0, NB-SVM C=0.7, …; neighbour votes k=20, weight=0.3, …``."""
    if not params:
        return "-"

    def num(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    parts = []
    for key, name in (("c", "C"), ("nb_c", "NB-SVM C"), ("class_weight", "class weight"),
                      ("temperature", "temperature"), ("calibration_folds", "calibration folds")):
        if key in params:
            parts.append(f"{name}={num(params[key])}")
    text = ", ".join(parts)
    votes = params.get("neighbours")
    if votes:
        text += "; neighbour votes " + ", ".join(
            f"{key}={num(votes[key])}" for key in ("k", "weight", "floor", "temperature", "rows") if key in votes)
    elif "neighbours" in params:
        text += "; neighbour votes off"
    return text


@dataclass
class Classification:
    categories: list[dict]  # [{code, name, confidence}]
    classifier: str
    model_version: ModelVersion | None = None

    @property
    def top(self) -> float:
        return self.categories[0]["confidence"] if self.categories else 0.0


def classify(text: str, k: int = 3) -> Classification:
    """Top-``k`` categories of a text with their confidence (learned model, else keyword rules).

    Whatever the learned model raises, the keyword rules answer instead and the error is
    logged: a broken model never stops intake or the console."""
    try:
        mv, model = active_model()
    except Exception:
        log.exception("the active triage model could not be looked up; using the keyword rules")
        mv, model = None, None
    if model is not None:
        try:
            top = model.predict_top(text, k=k)
            cats = [{**_label_info(str(label)), "confidence": round(float(p), 4)} for label, p in top]
            return Classification(cats, f"model v{mv.version}", mv)
        except Exception:
            log.exception("triage model v%s failed to classify a text; using the keyword rules", mv.version)
    top = keyword_classifier().predict_top(text, k=k)
    cats = [{**_label_info(label), "confidence": round(float(p), 4)} for label, p in top]
    return Classification(cats, KeywordClassifier.name, None)


# ====================================================================== place


@dataclass
class Gazetteer:
    automaton: object | None
    areas: dict[int, tuple[str, str, int, str]]  # pk -> (code, path, depth, name)
    area_keys: frozenset = frozenset()  # tails (3+ characters) of town/village names and aliases
    area_words: frozenset = frozenset()  # every 2+ character piece of those names


def _gazetteer() -> Gazetteer:
    def build():
        import ahocorasick

        entries: dict[str, list[tuple[int, str]]] = {}
        areas = {}
        for pk, code, name, path, depth, aliases in Area.objects.filter(
                level__in=[Level.TOWN, Level.VILLAGE], is_active=True).values_list(
                "pk", "code", "name", "path", "depth", "aliases"):
            areas[pk] = (code, path, depth, name)
            entries.setdefault(name, []).append((pk, "area"))
            for a in aliases or []:
                if a and len(a) >= 2 and a != name:
                    entries.setdefault(a, []).append((pk, "alias"))
        for name, area_id, code, path, depth, aname in PlaceName.objects.filter(
                is_active=True, area__is_active=True).values_list(
                "name", "area_id", "area__code", "area__path", "area__depth", "area__name"):
            areas[area_id] = (code, path, depth, aname)
            if name and len(name) >= 2:
                entries.setdefault(name, []).append((area_id, "place_name"))
        names = [n for n, targets in entries.items() if any(src != "place_name" for _pk, src in targets)]
        keys = frozenset(n[-k:] for n in names for k in range(3, len(n) + 1))
        words = frozenset(n[i:j] for n in names for i in range(len(n)) for j in range(i + 2, len(n) + 1))
        if not entries:
            return Gazetteer(None, areas, keys, words)
        a = ahocorasick.Automaton()
        for name, targets in entries.items():
            a.add_word(name, (name, targets))
        a.make_automaton()
        return Gazetteer(a, areas, keys, words)

    return _cached("gazetteer", build)


@dataclass
class SpatialIndex:
    tree: object | None
    pks: list[int]
    depths: list[int]


def _spatial() -> SpatialIndex:
    def build():
        from shapely import STRtree
        from shapely.geometry import shape

        geoms, pks, depths = [], [], []
        for pk, depth, boundary in Area.objects.filter(
                level__in=[Level.TOWN, Level.VILLAGE, Level.GRID, Level.MICROGRID], is_active=True,
                boundary__isnull=False).values_list("pk", "depth", "boundary"):
            try:
                g = shape(boundary)
            except Exception:  # a bad polygon must not stop the others
                log.warning("area %s has an unreadable boundary", pk)
                continue
            if g.is_empty:
                continue
            geoms.append(g)
            pks.append(pk)
            depths.append(depth)
        return SpatialIndex(STRtree(geoms) if geoms else None, pks, depths)

    return _cached("spatial", build)


_areas = Memo("areas by id", 300, invalidated_by=["areas.area"])


def area_by_pk(pk: int) -> Area | None:
    """An area node by id, kept for a few minutes per process (every intake resolves one).
    The instance is shared: read it, never change and save it."""
    return _areas.get(int(pk), lambda: Area.objects.filter(pk=pk).first())


def area_at(longitude, latitude) -> Area | None:
    """The deepest area (micro-grid, grid, village, town) whose polygon holds the point."""
    if longitude in (None, "") or latitude in (None, ""):
        return None
    from shapely.geometry import Point

    sp = _spatial()
    if sp.tree is None:
        return None
    hits = sp.tree.query(Point(float(longitude), float(latitude)), predicate="intersects")
    if len(hits) == 0:
        return None
    best = max(hits, key=lambda i: (sp.depths[i], -sp.pks[i]))
    return area_by_pk(sp.pks[best])


@dataclass
class Place:
    area: Area | None = None
    evidence: dict = field(default_factory=dict)  # {text, start, end, source}
    text_area: Area | None = None
    coordinate_area: Area | None = None
    conflict: bool = False

    def label(self) -> str:
        return self.area.full_name() if self.area is not None else ""


def match_text(text: str, *, within: Area | None = None) -> tuple[int | None, dict]:
    """``(area pk, evidence)`` of the most specific place named in ``text``."""
    gz = _gazetteer()
    if gz.automaton is None or not text:
        return None, {}
    spans = []
    for end, (name, targets) in gz.automaton.iter(text):
        spans.append((end - len(name) + 1, end + 1, name, targets))
    # A name inside a longer matched name is not a match of its own (城西村 in 城西村委会).
    # One pass over spans sorted by start, longest first: linear, whatever the text holds.
    spans.sort(key=lambda sp: (sp[0], -(sp[1] - sp[0])))
    kept, reach = [], -1
    for sp in spans:
        if sp[1] <= reach:
            continue  # lies inside an earlier, longer (or equal-start) span
        kept.append(sp)
        reach = max(reach, sp[1])
    spans = kept
    cands = []
    for start, end, name, targets in spans:
        for pk, source in targets:
            code, path, depth, _n = gz.areas[pk]
            if within is not None and not path.startswith(within.path):
                continue
            cands.append((pk, path, depth, start, end, name, source))
    if not cands:
        return None, {}
    towns = {c[1] for c in cands if c[2] == LEVEL_DEPTH[Level.TOWN]}
    if towns:  # a village or estate must agree with a town the text names, if it names one
        agreeing = [c for c in cands if any(c[1].startswith(t) for t in towns)]
        cands = agreeing or cands
    best = max(cands, key=lambda c: (c[2], c[4] - c[3], -c[3]))
    pk, _path, _depth, start, end, name, source = best
    return pk, {"text": name, "start": start, "end": end, "source": source}


def resolve_place(text: str, longitude=None, latitude=None, *, within: Area | None = None) -> Place:
    """Place of a matter from its text (gazetteer) and its coordinates (polygons).

    The text's area is kept when both agree or only one is known; when the coordinates fall
    outside the named place (and the place outside the coordinates' area) the conflict is
    flagged and the more precise of the two is used, never silently blended.
    """
    place = Place()
    pk, evidence = match_text(text or "", within=within)
    if pk is not None:
        place.text_area = area_by_pk(pk)
        place.evidence = evidence
    coord = area_at(longitude, latitude)
    if coord is not None and within is not None and not coord.path.startswith(within.path):
        coord = None
    place.coordinate_area = coord
    t, c = place.text_area, coord
    if t is not None and c is not None:
        if c.path.startswith(t.path):  # the point lies inside the named place: take the finer one
            place.area = c
        elif t.path.startswith(c.path):
            place.area = t
        else:
            place.conflict = True
            place.area = t
    else:
        place.area = t or c
        if t is None and c is not None:
            place.evidence = {"text": "", "source": "coordinates", "longitude": float(longitude),
                              "latitude": float(latitude)}
    return place


def resolve_area(text: str, *, longitude=None, latitude=None, within: Area | None = None) -> Area | None:
    """``FENGQIAO_PLACE_RESOLVER`` for the matters app: the triage gazetteer and polygons."""
    return resolve_place(text, longitude, latitude, within=within).area


# ====================================================================== routing


@dataclass
class Route:
    area: Area | None = None
    department: Department | None = None
    cohandlers: list[str] = field(default_factory=list)  # department codes
    rule_id: int | None = None  # the RoutingRule that decided, when one did
    source: str = ""  # rule / history / category / ""
    #: What the explanation says, without its words (names, rule, counts); :func:`explain`
    #: words it in the reader's language, so a stored route reads in Chinese and in English.
    facts: dict = field(default_factory=dict)

    @property
    def unit(self):
        return self.department or self.area

    @property
    def explanation(self) -> str:
        return explain(self.facts)


def explain(facts: dict | None) -> str:
    """A route's explanation in the active language, from its stored facts ("" for none)."""
    if not facts:
        return ""
    kind, f = facts.get("kind"), {k: v for k, v in facts.items() if k != "kind"}
    f.setdefault("area", "")
    if not f["area"]:
        f["area"] = _("unknown place")
    try:
        if kind == "rule":
            f["rule"] = f"{f['rule']} «{f['rule_name']}»" if f.get("rule_name") else f["rule"]
            return _("category %(category)s at %(area)s → %(unit)s by rule #%(rule)s") % f
        if kind == "history":
            return _("matters like this (%(category)s in %(town)s) were handled by %(unit)s: "
                     "%(n)s of %(total)s closed") % f
        if kind == "category":
            return _("category %(category)s at %(area)s → %(unit)s (the category's usual department)") % f
        if kind == "none":
            return _("no rule or history for category %(category)s at %(area)s: a person decides") % f
        if kind == "no_category":
            return _("no category: a person decides")
    except (KeyError, TypeError, ValueError):  # facts written by another version: say what there is
        pass
    return " · ".join(f"{k}={v}" for k, v in facts.items())


@dataclass
class RuleRow:
    pk: int
    category_path: str | None
    subtree: bool
    area_depth: int
    area_path: str | None
    target_depth: int | None
    department_id: int | None
    cohandlers: list[str]
    priority: int
    name: str = ""


def _rules() -> list[RuleRow]:
    def build():
        rows = []
        qs = RoutingRule.objects.filter(is_active=True).select_related("category", "area").prefetch_related("cohandlers")
        for r in qs:
            rows.append(RuleRow(
                r.pk, r.category.path if r.category_id else None, r.include_subcategories,
                LEVEL_DEPTH.get(r.area_level, 0) if r.area_level else 0, r.area.path if r.area_id else None,
                LEVEL_DEPTH[r.target_level] if r.target_level else None, r.department_id,
                sorted(d.code for d in r.cohandlers.all()), r.priority, r.name))
        rows.sort(key=lambda r: (-r.priority, -(r.category_path or "").count("/"),
                                 -(r.area_path or "").count("/"), r.pk))
        return rows

    return _cached("routes", build)


def _ancestor_at(area: Area, depth: int) -> Area | None:
    parts = area.path.strip("/").split("/")
    if len(parts) <= depth:
        return None
    if area.depth == depth:
        return area
    return _areas.get(("code", parts[depth]), lambda: Area.objects.filter(code=parts[depth]).first())


_departments = Memo("departments by id", 300, invalidated_by=["areas.department"])
#: "Matters like this were handled by …" counts, per category and town: an aggregate over the
#: town's closed matters is too dear for every intake, and it changes slowly.
_history_counts = Memo("routing history", 600, invalidated_by=["triage.routingrule"])


def _department(pk: int) -> Department | None:
    return _departments.get(int(pk), lambda: Department.objects.filter(pk=pk).first())


def route(category: Category | None, area: Area | None) -> Route:
    """Who should handle a matter of ``category`` placed at ``area``, and why.

    1. the routing rule table (highest priority, then most specific);
    2. history: the unit that handled most closed matters of this category in this town;
    3. the category's usual department.
    """
    if category is None:
        return Route(facts={"kind": "no_category"})
    area_name = area.name if area is not None else ""
    for r in _rules():
        if r.category_path is not None:
            if r.subtree:
                if not category.path.startswith(r.category_path):
                    continue
            elif category.path != r.category_path:
                continue
        if r.area_depth and (area is None or area.depth < r.area_depth):
            continue
        if r.area_path is not None and (area is None or not area.path.startswith(r.area_path)):
            continue
        if r.department_id:
            dept = _department(r.department_id)
            if dept is None or not dept.is_active:
                continue
            unit_area = None
        else:
            if area is None:
                continue
            unit_area = _ancestor_at(area, r.target_depth)
            if unit_area is None:
                continue
            dept = None
        unit = dept or unit_area
        return Route(unit_area, dept, r.cohandlers, r.pk, "rule",
                     {"kind": "rule", "category": category.name, "area": area_name, "unit": unit.name,
                      "rule": r.pk, "rule_name": r.name})
    hist = _history(category, area)
    if hist is not None:
        return hist
    if category.default_department_id:
        dept = category.default_department
        return Route(None, dept, [], None, "category",
                     {"kind": "category", "category": category.name, "area": area_name, "unit": dept.name})
    return Route(facts={"kind": "none", "category": category.name, "area": area_name})


def _history(category: Category, area: Area | None) -> Route | None:
    """"Matters like this were handled by …": the most frequent handling unit among closed
    matters of the category (its subtree) in the matter's town."""
    if area is None or area.depth < 1:
        return None
    town = _ancestor_at(area, 1)
    if town is None:
        return None
    def counts():
        base = Event.objects.filter(subtree_q(town.path, "area_path"), state=State.CLOSED,
                                    category__path__startswith=category.path)
        rows = list(base.values("handling_department_id", "handling_area_id").annotate(n=Count("id"))
                    .order_by("-n", "handling_department_id", "handling_area_id")[:5])
        return [r for r in rows if r["handling_department_id"] or r["handling_area_id"]]

    rows = _history_counts.get((category.path, town.path), counts)
    if not rows:
        return None
    total = sum(r["n"] for r in rows)
    top = rows[0]
    dept = _department(top["handling_department_id"]) if top["handling_department_id"] else None
    unit_area = area_by_pk(top["handling_area_id"]) if not dept and top["handling_area_id"] else None
    unit = dept or unit_area
    if unit is None:
        return None
    return Route(unit_area, dept, [], None, "history",
                 {"kind": "history", "category": category.name, "town": town.name, "unit": unit.name,
                  "n": top["n"], "total": total})


# ====================================================================== same-matter index


class TownIndex:
    def __init__(self, key: str):
        self.key = key
        self.index = dedupe.Index()
        self.last_id = 0
        self.checked = 0.0
        self.moved_since = timezone.now()  # relocations from then on are looked for at each catch-up


def _town_key(path: str) -> str:
    parts = (path or "").strip("/").split("/")
    return parts[1] if len(parts) >= 2 else (parts[0] if parts and parts[0] else "")


def _village_key(path: str) -> str | None:
    parts = (path or "").strip("/").split("/")
    return parts[2] if len(parts) >= 3 else None


def _window_start():
    return timezone.now() - dt.timedelta(days=setting("FENGQIAO_TRIAGE_DEDUPE_DAYS", DEDUPE_WINDOW_DAYS))


def _town_q(key: str) -> Q:
    if not key:
        return Q(area_path="")
    town = _areas.get(("code", key), lambda: Area.objects.filter(code=key).first())
    path = town.path if town is not None else None
    return subtree_q(path, "area_path") if path else Q(pk__in=[])


def features(text: str, *, title: str = "", time=None, area_path: str = "") -> dedupe.Features:
    """What a matter is about. Town and village names are dropped from the entity keys and
    keywords: every matter of 心湖社区 names 心湖社区, and the place is already scored
    through ``area`` (the village) and the per-town index."""
    f = dedupe.extract(text, title=title, time=time, area=_village_key(area_path))
    gz = _gazetteer()
    f.entities = {e for e in f.entities if not any(e[-k:] in gz.area_keys for k in range(3, len(e) + 1))}
    f.keywords = {w: v for w, v in f.keywords.items() if w not in gz.area_words}
    return f


def _add(ti: TownIndex, rows) -> None:
    for pk, title, content, address, received_at, area_path in rows:
        if pk in ti.index.items:
            continue
        ti.index.add_features(pk, features(f"{title} {content} {address}", title=title, time=received_at,
                                           area_path=area_path))
        ti.last_id = max(ti.last_id, pk)


_ROW = ("pk", "title", "content", "address", "received_at", "area_path")


#: A relocation's timeline time is taken before its commit: look back this far for the ones
#: that committed after the previous catch-up had looked.
MOVED_MARGIN = dt.timedelta(minutes=5)


def _moved_in(key: str, ti: TownIndex) -> list:
    """Older matters relocated into the town since the last catch-up (another process's
    更正地点): the catch-up by id does not fetch them. One look-up on the timeline's
    (action, at) index."""
    now = timezone.now()
    moved = list(TimelineEntry.objects.filter(action="relocate", at__gte=ti.moved_since - MOVED_MARGIN)
                 .values_list("event_id", flat=True)[:1000])
    ti.moved_since = now
    if not moved:
        return []
    return [r for r in Event.objects.filter(_town_q(key), pk__in=moved, received_at__gte=_window_start())
            .values_list(*_ROW) if r[0] not in ti.index.items]


def _town_index(key: str) -> TownIndex:
    """The town's index, built on first use from its recent matters and caught up since."""
    indexes = _cache.setdefault("dedupe", {})
    ti = indexes.get(key)
    now = time.monotonic()
    if ti is None:
        with _lock:
            ti = indexes.get(key)
            if ti is None:
                ti = TownIndex(key)
                rows = (Event.objects.filter(_town_q(key), received_at__gte=_window_start())
                        .order_by("-pk").values_list(*_ROW)[:DEDUPE_WARM_LIMIT])
                _add(ti, reversed(list(rows)))
                ti.checked = now
                indexes[key] = ti
                return ti
    if now - ti.checked > DEDUPE_CATCHUP_SECONDS:  # matters other processes took in
        with _lock:
            if time.monotonic() - ti.checked > DEDUPE_CATCHUP_SECONDS:  # not done by a thread we waited for
                rows = Event.objects.filter(_town_q(key), pk__gt=ti.last_id).order_by("pk").values_list(*_ROW)[:5000]
                _add(ti, list(rows))
                _add(ti, _moved_in(key, ti))
                ti.checked = time.monotonic()
    return ti


def find_duplicates(*, text: str, title: str = "", area_path: str = "", received_at=None, exclude=None,
                    limit: int = 5, add_id=None) -> list[tuple[int, float]]:
    """Open or recent matters (same town, inside the time window) about the same thing:
    ``[(event id, score)]``, best first. With ``add_id`` the matter is added to the index after."""
    ti = _town_index(_town_key(area_path))
    f = features(text, title=title, time=received_at, area_path=area_path)
    min_score = setting("FENGQIAO_TRIAGE_DEDUPE_MIN_SCORE", DEDUPE_MIN_SCORE)
    hits = ti.index.query_features(f, limit=limit * 3, min_score=min_score, exclude=exclude)
    out: list[tuple[int, float]] = []
    if hits:
        # still in the town: a matter relocated elsewhere stays in this index until restart
        alive = set(Event.objects.filter(_town_q(ti.key), pk__in=[h[0] for h in hits]).filter(
            Q(state__in=OPEN_STATES) | Q(received_at__gte=_window_start())).exclude(
            state__in=[State.MERGED, State.CANCELLED]).values_list("pk", flat=True))
        out = [(pk, round(float(s), 3)) for pk, s in hits if pk in alive][:limit]
    if add_id is not None and add_id not in ti.index.items:
        with _lock:
            if add_id not in ti.index.items:
                # Only the catch-up moves ``last_id``: matters other processes took in with lower
                # ids must still be fetched by it.
                ti.index.add_features(add_id, f)
    return out


def _repeat_text(event: Event) -> str:
    return f"{event.title} {event.content} {event.address}"


def remember(event: Event) -> None:
    """Put a matter into its town's index now (a relocated matter: the catch-up only fetches
    matters newer than the last seen). Never raises: the index is a help, the matter stands."""
    try:
        ti = _town_index(_town_key(event.area_path))
        if event.pk in ti.index.items:
            return
        f = features(_repeat_text(event), title=event.title, time=event.received_at, area_path=event.area_path)
        with _lock:
            if event.pk not in ti.index.items:
                ti.index.add_features(event.pk, f)
    except Exception:
        log.exception("indexing matter %s for repeats failed", event.pk)


def event_duplicates(event: Event, limit: int = 5, *, also: Area | None = None) -> list[tuple[int, float]]:
    """Repeats of ``event`` in its town; with ``also`` (the other place of a text/coordinates
    conflict) in that place's town too: up to ``limit`` of each, so neither town's crowd out the
    other's (a town centre sees only its own)."""
    text = _repeat_text(event)
    found = find_duplicates(text=text, title=event.title, area_path=event.area_path, received_at=event.received_at,
                            exclude=event.pk, limit=limit, add_id=event.pk)
    if also is None or _town_key(also.path) == _town_key(event.area_path):
        return found
    scores = dict(found)
    for pk, score in find_duplicates(text=text, title=event.title, area_path=also.path,
                                     received_at=event.received_at, exclude=event.pk, limit=limit):
        scores[pk] = max(score, scores.get(pk, 0.0))
    return sorted(scores.items(), key=lambda kv: -kv[1])


def other_place(event: Event, result) -> Area | None:
    """The place of a text/coordinates conflict that is not the matter's own (``None`` without one)."""
    if result is None or not result.place_conflict:
        return None
    for area in (result.text_area, result.coordinate_area):
        if area is not None and area.pk != event.area_id:
            return area
    return None


# ====================================================================== triage on intake


def _event_text(event: Event) -> str:
    return f"{event.title} {event.content}"


def _threshold() -> float:
    return float(setting("FENGQIAO_TRIAGE_CONFIDENCE", DEFAULT_CONFIDENCE))


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _county_of(area: Area | None) -> Area | None:
    if area is None:
        return Area.objects.filter(parent__isnull=True).order_by("path").first()
    code = area.path.strip("/").split("/")[0]
    return Area.objects.filter(code=code).first()


def _unsure(categories, top: float | None, *, decided: bool) -> bool:
    """No category, or the first too unsure, unless a person ``decided`` the category."""
    return not decided and (not categories or (top or 0.0) < _threshold())


#: Why a matter waits for a person (``TriageResult.person_reasons``), worded by :func:`reason_label`.
PERSON_REASONS = ("triage_failed", "no_category", "unsure", "place_conflict", "no_route")


def person_reasons(categories, top: float | None, *, conflict: bool, unit, decided: bool = False) -> list[str]:
    """Why the matter waits for a person, if it does: no category or too unsure (unless a person
    ``decided`` the category at intake), a place conflict, nowhere to route."""
    reasons = []
    if _unsure(categories, top, decided=decided):
        reasons.append("unsure" if categories else "no_category")
    if conflict:
        reasons.append("place_conflict")
    if unit is None:
        reasons.append("no_route")
    return reasons


def needs_person(cls, place: Place, rte: Route, *, decided: bool = False) -> bool:
    return bool(person_reasons(cls.categories, cls.top, conflict=place.conflict, unit=rte.unit, decided=decided))


def reason_label(code: str) -> str:
    return {
        "triage_failed": _("triage failed"),
        "no_category": _("no category recognised"),
        "unsure": _("category unsure"),
        "place_conflict": _("text and coordinates name different places"),
        "no_route": _("no handling unit found"),
    }.get(code, code)


def _top_category(categories) -> Category | None:
    """The category of the first suggestion (with its usual department, for routing)."""
    if not categories:
        return None
    return Category.objects.filter(code=categories[0]["code"]).select_related("default_department").first()


def _route_values(rte: Route) -> dict:
    """The stored result's route fields."""
    return {"route_area": rte.area, "route_department": rte.department, "route_cohandlers": rte.cohandlers,
            "route_rule_id": rte.rule_id, "route_source": rte.source, "route_facts": rte.facts,
            # in the site's language whoever's request triaged; pages word the facts for their reader
            "route_explanation": _site_language_explanation(rte.facts)}


def _site_language_explanation(facts: dict) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return explain(facts)


def reasons_text(codes) -> str:
    """Why a matter waits for a person, in the reader's words and list punctuation."""
    return pgettext("list separator", ", ").join(reason_label(code) for code in codes or [])


def triage_event(event: Event) -> TriageResult | None:
    """Read one new matter and store a :class:`TriageResult`. Never raises.

    Inside a transaction the work runs in a savepoint, so a database error rolls back only
    triage; after intake's commit it runs in autocommit. The matter stays either way. On any
    failure the result is stored with ``error`` set and ``needs_person``.
    """
    started = time.perf_counter()
    values: dict = {"needs_person": True, "person_reasons": ["triage_failed"], "error": "", "categories": [],
                    "duplicates": []}
    timings: dict = {}
    cls = place = rte = None
    try:
        with _contained():
            t0 = time.perf_counter()
            cls = classify(_event_text(event))
            timings["classify"] = _ms(t0)
            t0 = time.perf_counter()
            place = resolve_place(f"{event.address} {event.title} {event.content}", event.longitude, event.latitude)
            timings["place"] = _ms(t0)
            t0 = time.perf_counter()
            rte = route(event.category or _top_category(cls.categories), place.area or event.area)
            timings["route"] = _ms(t0)
            t0 = time.perf_counter()
            # a conflict keeps the coordinates' place: the town the text names is searched too
            dups = event_duplicates(event, also=place.text_area if place.conflict else None)
            timings["duplicates"] = _ms(t0)
        values.update(
            categories=cls.categories, classifier=cls.classifier, model_version=cls.model_version,
            top_confidence=cls.top if cls.categories else None, area=place.area, area_evidence=place.evidence,
            text_area=place.text_area, coordinate_area=place.coordinate_area, place_conflict=place.conflict,
            **_route_values(rte), duplicates=[[pk, s] for pk, s in dups],
        )
        reasons = person_reasons(cls.categories, cls.top, conflict=place.conflict, unit=rte.unit,
                                 decided=event.category_id is not None)
        values.update(needs_person=bool(reasons), person_reasons=reasons)
    except Exception:  # triage must never lose a matter
        log.exception("triage failed for matter %s", event.pk)
        values.update(error=TRIAGE_FAILED, needs_person=True, person_reasons=["triage_failed"])
    timings["total"] = _ms(started)
    values["timings"] = timings
    result = _store(event, values)
    if result is not None and not result.error:
        _maybe_auto_dispatch(event, result, cls, rte)
    return result


def _route_area(event: Event, result: TriageResult) -> Area | None:
    """Where a stored result routes from now: the matter's place, unless triage read a finer one
    inside it (a matter left at the county whose text names a village)."""
    mine, read = event.area, result.area
    if read is not None and (mine is None or read.path.startswith(mine.path)):
        return read
    return mine or read


def reroute(event: Event) -> TriageResult | None:
    """Route the stored result again after a person changed what it rests on: the category (an
    operator's label) or the place (更正地点). The matter then needs a person only if it still
    has no category and an unsure suggestion, or nowhere to go; a place conflict was settled by
    whoever chose. Never raises: the person's change stands whatever happens here."""
    try:
        with _contained():
            result = TriageResult.objects.select_related("area").filter(event=event).first()
            if result is None:
                return None
            rte = route(event.category or _top_category(result.categories), _route_area(event, result))
            reasons = person_reasons(result.categories, result.top_confidence, conflict=False, unit=rte.unit,
                                     decided=event.category_id is not None)
            values = {**_route_values(rte), "needs_person": bool(reasons), "person_reasons": reasons}
            TriageResult.objects.filter(pk=result.pk).update(**values)
            for k, v in values.items():
                setattr(result, k, v)
            return result
    except Exception:
        log.exception("routing matter %s again failed", event.pk)
        return None


def _contained():
    """A savepoint when called inside a transaction (a failed statement must not poison the
    caller's), nothing otherwise: after intake's commit, triage's reads and its one insert
    run in autocommit, without a BEGIN/COMMIT of their own."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else contextlib.nullcontext()


def _store(event: Event, values: dict) -> TriageResult | None:
    """Store the result (not audited: ``core.signals.SKIP_MODELS``)."""
    defaults = {**values, "created_at": timezone.now()}
    try:
        try:  # a new matter: one insert
            with _contained():
                return TriageResult.objects.create(event=event, **defaults)
        except IntegrityError:  # triaged before (re-triage): replace the stored result
            with transaction.atomic():
                result, _created = TriageResult.objects.update_or_create(event=event, defaults=defaults)
            return result
    except Exception:
        log.exception("storing the triage result of matter %s failed", event.pk)
        try:
            with transaction.atomic():
                result, _created = TriageResult.objects.update_or_create(event=event, defaults={
                    "error": STORE_FAILED, "needs_person": True, "person_reasons": ["triage_failed"],
                    "timings": defaults.get("timings", {}), "created_at": timezone.now()})
            return result
        except Exception:
            log.exception("could not store a triage error marker for matter %s", event.pk)
            return None


def on_intake(event: Event, created: bool = True) -> TriageResult | None:
    """The intake hook: triage a newly created matter (unless ``FENGQIAO_TRIAGE_ON_INTAKE`` is False)."""
    if not created or not setting("FENGQIAO_TRIAGE_ON_INTAKE", True):
        return None
    return triage_event(event)


def system_user(county: Area | None):
    """The account automatic dispatches are recorded under (no password, county operator)."""
    from fengqiao.accounts.models import User
    from fengqiao.core import roles

    user = User.objects.filter(username="triage_system").select_related("area").first()
    if user is None:
        user = User(username="triage_system", role=roles.COUNTY_OPERATOR, area=county, first_name="智能分拨")
        user.set_unusable_password()
        user.save()
    return user


def _maybe_auto_dispatch(event: Event, result: TriageResult, cls, rte) -> None:
    """Accept and dispatch automatically when the centre chose a confidence and it is met."""
    threshold = getattr(settings, "FENGQIAO_AUTO_DISPATCH_CONFIDENCE", None)
    if threshold is None or cls is None or rte is None or rte.unit is None:
        return
    if event.state != State.RECEIVED or result.place_conflict or not cls.categories or cls.top < float(threshold):
        return
    from fengqiao.events import actions as event_actions

    from .actions import add_route_cohandlers, set_category

    try:
        with transaction.atomic():
            ev = Event.objects.get(pk=event.pk)
            by = system_user(_county_of(ev.area))
            with translation.override(settings.LANGUAGE_CODE):  # the timeline reads the same to everyone
                reason = _("automatic dispatch (confidence %(c).2f): %(why)s") % {"c": cls.top,
                                                                                  "why": rte.explanation}
            if ev.category_id is None:
                cat = _top_category(cls.categories)
                if cat is not None:
                    set_category(ev, cat, by=by, reason=reason)
            event_actions.perform(ev, "accept", by=by, note=reason)
            event_actions.perform(ev, "dispatch", by=by, to_unit=rte.unit, note=reason)
            refused = add_route_cohandlers(ev, rte.cohandlers, by=by)
            if refused:  # all of it or none: the matter then waits for a person
                raise UserError("cohandler_refused", "; ".join(refused), "; ".join(refused))
            TriageResult.objects.filter(pk=result.pk).update(auto_dispatched=True, needs_person=False,
                                                             person_reasons=[])
            result.auto_dispatched = True
            result.needs_person, result.person_reasons = False, []
    except Exception:  # the matter waits for a person instead
        log.exception("automatic dispatch of matter %s failed", event.pk)


# ====================================================================== console / API


def suggest(user, text: str, *, title: str = "", address: str = "", longitude=None, latitude=None):
    """Suggestions while a matter is typed in (the console's and the API's), restricted to ``user``."""
    full = " ".join(p for p in (title, text) if p)
    cls = classify(full)
    within = user.area if getattr(user, "area_id", None) else None
    place = resolve_place(" ".join(p for p in (address, full) if p), longitude, latitude, within=within)
    rte = route(_top_category(cls.categories), place.area)
    area_path = place.area.path if place.area is not None else (within.path if within is not None else "")
    dups = find_duplicates(text=f"{full} {address}", title=title, area_path=area_path, received_at=timezone.now())
    visible = {e.pk: e for e in Event.objects.restrict(user, "view").filter(pk__in=[pk for pk, _s in dups])
               .only("pk", "number", "title", "state")}
    s = Suggestion(
        categories=cls.categories,
        area=place.area,
        area_label=place.label(),
        area_evidence=place.evidence.get("text", ""),
        duplicates=[{"id": pk, "number": visible[pk].number, "title": visible[pk].masked_title, "score": score,
                     "likely": likely_same(score), "open": takes_repeats(visible[pk].state)}
                    for pk, score in dups if pk in visible],
        route=rte.explanation,
    )
    s.place = place  # the API shows the conflict flag and the coordinate area too
    s.route_detail = rte
    s.needs_person = needs_person(cls, place, rte)
    s.classification = cls
    return s


