"""Pure parts of the risk scan (no Django): escalation-language matching, the spike test and
the area that holds a set of matters. Fast to test, and the same for every database."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

#: levels, most serious first (the values of ``choices.Level``)
RANK = {"red": 3, "orange": 2, "yellow": 1}
SNIPPET = 24  # characters of context each side of a matched phrase


def higher(a: str | None, b: str | None) -> str | None:
    """The more serious of two levels."""
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK.get(a, 0) >= RANK.get(b, 0) else b


@dataclass(frozen=True)
class Hit:
    phrase: str
    level: str
    start: int
    end: int
    snippet: str

    def as_dict(self) -> dict:
        return {"phrase": self.phrase, "level": self.level, "start": self.start, "end": self.end,
                "snippet": self.snippet}


_SPACE = re.compile(r"\s+")


class TermMatcher:
    """All phrases in one pass (Aho–Corasick). A trigger inside a harmless phrase that covers it
    (跳楼 in 跳楼价, 炸 in 炸鸡) does not count."""

    def __init__(self, triggers: Mapping[str, str], ignores: Iterable[str] = ()):
        self.triggers = {p.strip(): level for p, level in triggers.items() if p and p.strip()}
        self.ignores = {p.strip() for p in ignores if p and p.strip()}
        self._auto = None
        if self.triggers or self.ignores:
            auto = ahocorasick.Automaton()
            for phrase in self.ignores:
                auto.add_word(phrase, (phrase, None))
            for phrase, level in self.triggers.items():
                auto.add_word(phrase, (phrase, level))  # a phrase in both lists is a trigger
            auto.make_automaton()
            self._auto = auto

    def __bool__(self) -> bool:
        return bool(self.triggers)

    def scan(self, text: str) -> list[Hit]:
        """Every trigger occurrence not covered by a harmless phrase, in text order."""
        if self._auto is None or not text:
            return []
        text = _SPACE.sub(" ", text)
        found, covered = [], []
        for end, (phrase, level) in self._auto.iter(text):
            start = end + 1 - len(phrase)
            if level is None:
                covered.append((start, end + 1))
            else:
                found.append((start, end + 1, phrase, level))
        hits = []
        for start, stop, phrase, level in sorted(found):
            if any(a <= start and stop <= b and (b - a) > (stop - start) for a, b in covered):
                continue
            lo, hi = max(0, start - SNIPPET), min(len(text), stop + SNIPPET)
            snippet = ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
            hits.append(Hit(phrase, level, start, stop, snippet))
        return hits


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean): how surprising ``k`` matters are when ``mean`` is usual."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    # 1 - P(X ≤ k-1), summed in log space so large means do not underflow
    log_term = -mean  # log P(X = 0)
    total = math.exp(log_term)
    for i in range(1, k):
        log_term += math.log(mean) - math.log(i)
        total += math.exp(log_term)
    return max(0.0, 1.0 - total)


#: how improbable a day's count must be, under the usual rate, for each level
SPIKE_LEVELS = (("red", 1e-6), ("orange", 1e-4), ("yellow", 1e-3))
#: the usual rate is never taken below this, so a first few matters in a quiet place are no spike
MIN_BASELINE = 0.5


def spike_level(count: int, baseline: Iterable[int], minimum: int) -> tuple[str | None, float, float]:
    """Whether ``count`` matters in the latest window is a spike against the counts of the
    windows before it (``baseline``): (level or None, the usual mean, the tail probability).
    A count below ``minimum`` is never a spike."""
    past = list(baseline)
    mean = max(MIN_BASELINE, sum(past) / len(past)) if past else MIN_BASELINE
    p = poisson_tail(count, mean)
    if count < minimum:
        return None, mean, p
    for level, limit in SPIKE_LEVELS:
        if p < limit:
            return level, mean, p
    return None, mean, p


def common_path(paths: Iterable[str]) -> str:
    """The deepest area path that contains every one of ``paths`` (``/a/b/`` style); "" if none."""
    parts = None
    for path in paths:
        if not path:
            continue
        nodes = [c for c in path.strip("/").split("/") if c]
        if parts is None:
            parts = nodes
            continue
        n = 0
        while n < min(len(parts), len(nodes)) and parts[n] == nodes[n]:
            n += 1
        parts = parts[:n]
    if not parts:
        return ""
    return "/" + "/".join(parts) + "/"


def path_prefix(path: str, depth: int) -> str:
    """The first ``depth`` nodes of an area path (1: the county's, 2: the town's); "" if shorter."""
    nodes = [c for c in path.strip("/").split("/") if c]
    return "/" + "/".join(nodes[:depth]) + "/" if len(nodes) >= depth else ""


def level_for_count(count: int, threshold: int, base: str) -> str:
    """A count signal's level: ``base`` at the threshold, one step up at twice it, red at three
    times (同一人第六次反映 is more serious than the third)."""
    order = sorted(RANK, key=RANK.get)
    i = order.index(base) if base in order else 0
    if threshold > 0 and count >= 3 * threshold:
        i += 2
    elif threshold > 0 and count >= 2 * threshold:
        i += 1
    return order[min(i, 2)]
