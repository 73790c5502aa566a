"""Same-matter detection (重复诉求识别) for citizen messages. Pure module, no Django imports.

Repeat complaints are written by different people in different words, so character shingles
(MinHash) miss most of them. A message is represented by what it is about:

* **entities**: names ending in a place/organisation suffix (小区, 花园, 苑, 大厦, 路, 公司,
  学校, 项目, 工地, 市场, 村 …), as keys of the suffix with 2, 3 and 4 preceding characters, so
  "A3区中海国际社区" and "中海国际社区三期" share keys (every suffix in the text gives keys,
  except where it ends or begins a common word: 临街, 政府, 居民); generic words between a name
  and its suffix (职业技术, 置业有限, 科技 …) are read as part of the suffix, so the keys of
  "西地省环境生物职业技术学院" hold 环境生物, not 职业技术;
* **keywords**: jieba words without generic complaint vocabulary and without the pseudonymised
  place codes (A市, A3区 …), weighted by TF-IDF over the index (title words count double);
* **place**: the city and district/county codes mentioned (soft: different districts, or
  different cities, lower the score; a city alone does not contradict a district of it);
* **time**: the message time (links fade outside a window).

:class:`Index` keeps an inverted index over entity keys and each message's strongest keywords.
A query reads only the postings of its rarest features (features held by more than
``max_postings`` messages are skipped), so it stays fast at a million items. Candidates are
scored by ``0.55·cosine(keywords) + 0.45·entities``, times place and time factors; the entity
term is the IDF-weighted overlap of the two key sets, or, when higher, how rare the rarest
shared name is in the index (one shared rare name is strong evidence however many other names
either message holds). When neither message names anything the cosine alone is the score.
Two messages that share a name but little else (the cosine of their words without those that
spell the name is under ``topic_floor``) are one place with two problems: their score is
lowered by ``off_topic_factor``.
:func:`group` links pairs above a threshold and merges them by average linkage with a size
guard, so chains of loosely related messages do not fuse into giant groups.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .text import normalize, tokenize

__all__ = ["Features", "Index", "extract", "group", "pair_scores"]

PLACE_CODE = re.compile(r"[a-z]\d{0,2}(?:市|区|县)")
_SUFFIXES = (
    "小区 花园 家园 新村 公寓 大厦 广场 中心 商城 城 苑 园 府 庭 湾 郡 居 山庄 社区 村 组 "
    "路 街 大道 巷 桥 隧道 高速 公司 集团 医院 学校 小学 中学 大学 学院 幼儿园 项目 工地 "
    "市场 酒店 宾馆 楼盘 车站 站 厂 局 所 镇 乡 街道"
).split()
#: one-character suffixes that, after these characters, end a common word and no name (临街,
#: 马路, 网站, 厕所, 政府, 家庭, 农村 …). 里 is no suffix at all: 店里, 这里, 家里 outnumber
#: the names ending in it.
_NOT_A_NAME_AFTER = {
    "街": "临沿上逛满过", "路": "马道线", "站": "网", "所": "厕场住", "局": "结格布当",
    "城": "进全满县", "村": "农", "组": "小班", "厂": "工", "园": "校", "府": "政",
    "庭": "家法", "居": "邻定同", "乡": "家城老", "镇": "城乡",
}
#: ... and those that, before these characters, begin one (居民, 居住, 城市, 所有, 所以 …)
_NOT_A_NAME_BEFORE = {"居": "民住然", "城": "市", "所": "有以谓"}
#: a suffix where it can end a name, longest first
SUFFIX_PATTERN = "|".join(
    (f"(?<![{_NOT_A_NAME_AFTER[x]}])" if x in _NOT_A_NAME_AFTER else "")
    + re.escape(x)
    + (f"(?![{_NOT_A_NAME_BEFORE[x]}])" if x in _NOT_A_NAME_BEFORE else "")
    for x in sorted(_SUFFIXES, key=len, reverse=True)
)
_SUFFIX_AT = re.compile(SUFFIX_PATTERN)
_NAME_CHAR = re.compile(r"[\u4e00-\u9fff0-9a-z]")
#: suffixes so generic as a whole name ("本小区", "该公司") that a key needs 3+ characters
#: before them; also words that are never part of a name
_NAME_STOP = set("反映关于请问咨询投诉举报希望要求建议我们市民业主居民的了在和与及对是有")
#: generic words that stand between a name's distinctive part and its suffix; read as part of
#: the suffix (at most ``_MAX_GENERIC_PARTS`` of them, the longest that fits first)
_GENERIC_PARTS = frozenset(
    """
    职业技术 职业 技术 有限责任 有限 股份 科技 置业 房地产开发 房地产 地产 开发 物业管理
    物业服务 物业 实业 投资 发展 建设 建筑 工程 实验 人民 附属 第一 第二 第三 第四 第五
    第六 第七 第八 第九 中心 商贸 贸易 文化 教育 培训 管理 服务 电子 信息 网络 传媒 汽车
    销售 医药 生物 环保 集团 小区 社区 配套 公办 民办
    """.split()
)
_GENERIC_LENGTHS = sorted({len(x) for x in _GENERIC_PARTS}, reverse=True)
_MAX_GENERIC_PARTS = 4
GENERIC_WORDS = frozenset(
    """
    反映 问题 投诉 举报 咨询 请问 希望 要求 建议 领导 相关 相关部门 部门 政府 市政府 市长 书记
    您好 你好 尊敬 谢谢 感谢 解决 处理 尽快 情况 严重 市民 居民 业主 我们 我 你们 他们 大家
    现在 目前 已经 没有 一直 至今 今天 时间 这个 那个 这些 什么 怎么 为什么 如何 是否 能否
    可以 应该 需要 进行 存在 导致 造成 影响 生活 群众 百姓 老百姓 部门 有关 有关部门 关注
    重视 帮助 恳请 强烈 呼吁 請 请 望 能 会 还 都 就 也 又 再 很 非常 一个 一些 小区 公司 问题
    年 月 日 号 多 个 后 前 上 下 中 时候 期间 万元 元
    """.split()
)
MAX_KEYWORDS = 12  # keywords per message put into the inverted index
#: pairs scoring at least this are linked by :func:`group` (read off the hand-labelled pairs of
#: the TipDM hot messages, docs/triage.md)
GROUP_THRESHOLD = 0.55
EPOCH = dt.datetime(2000, 1, 1)


def parse_time(value) -> float | None:
    """Days since 2000-01-01, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        s = value.strip().replace("/", "-")
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                value = dt.datetime.strptime(s[: len(fmt) + 2].strip(), fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return (value - EPOCH).total_seconds() / 86400
    return None


def _places_differ(a: set[str], b: set[str]) -> bool:
    """Whether two messages name different places at the same level: both name districts or
    counties (区/县) and share none, or both name cities and share none. A message naming only
    its city (A市) does not contradict one naming a district of it (A2区)."""
    if not a or not b:
        return False
    for level in (("区", "县"), ("市",)):
        la = {p for p in a if p.endswith(level)}
        lb = {p for p in b if p.endswith(level)}
        if la and lb and not (la & lb):
            return True
    return False


@dataclass(slots=True)
class Features:
    """What one message is about (slots: an index may hold a million of them)."""

    keywords: dict[str, float]  # token -> sublinear term frequency
    entities: set[str]
    places: set[str]
    time: float | None = None
    area: str | None = None


def name_keys(text: str, start: int, suffix: str) -> list[str]:
    """Keys of the name whose ``suffix`` starts at ``start`` in ``text``: the suffix with the 2,
    3 and 4 name characters before it, cut at a stop character (verbs and particles are never
    part of a name). Generic words right before the suffix (``_GENERIC_PARTS``: 有限, 职业技术 …)
    count as part of the suffix, so the characters kept are the name's own."""
    for _ in range(_MAX_GENERIC_PARTS):
        k = next((k for k in _GENERIC_LENGTHS if start >= k and text[start - k : start] in _GENERIC_PARTS), 0)
        if not k:
            break
        start -= k
        suffix = text[start : start + k] + suffix
    head = ""
    i = start - 1
    while i >= 0 and len(head) < 4 and text[i] not in _NAME_STOP and _NAME_CHAR.match(text[i]):
        head = text[i] + head
        i -= 1
    return [head[-k:] + suffix for k in (2, 3, 4) if len(head) >= k]


def entity_keys(text: str) -> set[str]:
    """Entity keys of normalised ``text``: at every place where a suffix can end a name, the
    suffix with the 2–4 characters before it (cut at a stop character: verbs and particles are
    never part of a name). One left-to-right scan, each key read back a bounded number of
    characters, so the cost is linear in the text's length (a pasted number of 20,000 digits
    costs no more than its length)."""
    text = PLACE_CODE.sub(" ", text)
    keys: set[str] = set()
    for m in _SUFFIX_AT.finditer(text):
        keys.update(name_keys(text, m.start(), m.group(0)))
    return keys


def extract(text: str, title: str = "", time=None, area: str | None = None) -> Features:
    """The features of one message (``text`` may already contain the title)."""
    norm = normalize(text)
    tnorm = normalize(title)
    places = set(PLACE_CODE.findall(tnorm + " " + norm))
    counts: Counter[str] = Counter()
    for weight, part in ((2, tnorm), (1, norm)):
        if not part:
            continue
        for w in tokenize(PLACE_CODE.sub(" ", part)):
            if len(w) < 2 or w in GENERIC_WORDS or w.isdigit():
                continue
            counts[w] += weight
    keywords = {w: 1.0 + math.log(c) for w, c in counts.items()}
    return Features(keywords, entity_keys(tnorm + " " + norm), places, parse_time(time), area)


@dataclass
class Index:
    """Incremental same-matter index.

    ``add(id, text, time=None, area=None)`` stores a message; ``query(text, ...)`` returns the
    stored ids most likely about the same matter, with scores in [0, 1].
    """

    max_postings: int = 2000  # features held by more messages are not used to find candidates
    max_candidates: int = 200  # scored per query, most shared index keys first
    time_window_days: float = 120.0  # links fade linearly to half strength at 4x the window
    keyword_weight: float = 0.55
    #: a shared name held by this share of the stored messages or more is no evidence alone; one
    #: held by ``rare_share`` or less counts ``name_weight`` (log scale between); shares are
    #: taken of at least ``min_share_base`` messages, so a small index does not make every name
    #: common. 5 %, not 1 %: a campaign's estate (丽发新城 in 1 % of the hot messages) is named by
    #: every one of its repeats, and the more repeats, the less its name counted (ADR 0115)
    common_share: float = 0.05
    rare_share: float = 0.001
    name_weight: float = 0.9
    min_share_base: int = 1000
    #: two messages that share a name but whose other words have a cosine below ``topic_floor``
    #: are one place with two problems (an estate's cracked floors and its shops' smoke): their
    #: score is multiplied by ``off_topic_factor`` (ADR 0114)
    topic_floor: float = 0.1
    off_topic_factor: float = 0.8
    items: dict = field(default_factory=dict)
    postings: dict = field(default_factory=lambda: defaultdict(list))
    df: Counter = field(default_factory=Counter)
    _cache: dict = field(default_factory=dict, repr=False)
    _cache_n: int = field(default=-1, repr=False)

    def __len__(self) -> int:
        return len(self.items)

    def _idf(self, feature: str) -> float:
        return math.log((1 + len(self.items)) / (1 + self.df.get(feature, 0))) + 1.0

    def _index_keys(self, f: Features) -> list[str]:
        kws = sorted(f.keywords, key=lambda w: -f.keywords[w] * self._idf("w:" + w))[:MAX_KEYWORDS]
        return ["w:" + w for w in kws] + ["e:" + e for e in f.entities]

    def add(self, item_id, text: str, time=None, area: str | None = None, title: str = "") -> None:
        f = extract(text, title=title, time=time, area=area)
        self.add_features(item_id, f)

    def add_features(self, item_id, f: Features) -> None:
        if item_id in self.items:
            raise ValueError(f"duplicate id {item_id!r}")
        self.items[item_id] = f
        for w in f.keywords:
            self.df["w:" + w] += 1
        for e in f.entities:
            self.df["e:" + e] += 1
        for key in self._index_keys(f):
            self.postings[key].append(item_id)

    # -- scoring ------------------------------------------------------------------------------
    def _vector(self, f: Features, *, cache: bool = True) -> tuple[dict[str, float], float]:
        # weights of stored items are cached until the next add (IDF moves with every add)
        key = id(f)
        if self._cache_n != len(self.items):
            self._cache.clear()
            self._cache_n = len(self.items)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is f:
            return hit[1]
        vec = {w: tf * self._idf("w:" + w) for w, tf in f.keywords.items()}
        out = vec, math.sqrt(sum(v * v for v in vec.values())) or 1.0
        if cache and len(self._cache) < 200_000:
            self._cache[key] = (f, out)
        return out

    def _name_evidence(self, shared: set[str]) -> float:
        """How strongly sharing ``shared`` entity keys says "same matter", from the rarest one:
        ``name_weight`` for a name held by at most ``rare_share`` of the index, 0 from
        ``common_share`` up, log-linear between."""
        df = min(self.df.get("e:" + e, 0) for e in shared)
        share = max(df, 1) / max(len(self.items), self.min_share_base)
        if share >= self.common_share:
            return 0.0
        span = math.log(self.common_share / self.rare_share)
        return self.name_weight * min(1.0, math.log(self.common_share / share) / span)

    @staticmethod
    def _topic_cosine(va, na, vb, nb, words, dot, shared) -> float:
        """The keyword cosine without the words that spell a shared name (丽发, 新城 of
        丽发新城小区): what else the two messages have in common. A word that is a name key
        itself (搅拌站, 幼儿园) stays: it is the thing complained about."""
        spelled = [w for w in words if w not in shared and any(w in e for e in shared)]
        if not spelled:
            return dot / (na * nb)
        na2 = max(na * na - sum(va[w] * va[w] for w in spelled), 0.0)
        nb2 = max(nb * nb - sum(vb[w] * vb[w] for w in spelled), 0.0)
        if na2 <= 0.0 or nb2 <= 0.0:
            return 0.0
        return (dot - sum(va[w] * vb[w] for w in spelled)) / math.sqrt(na2 * nb2)

    def score(self, a: Features, b: Features, _va=None) -> float:
        """Similarity of two messages in [0, 1]."""
        va, na = _va or self._vector(a)
        vb, nb = self._vector(b)
        # the shared words are found by a set intersection in C; few words are shared
        words = va.keys() & vb.keys()
        dot = sum(va[w] * vb[w] for w in words)
        cos = dot / (na * nb)
        ent = 0.0
        off_topic = False
        if a.entities and b.entities:
            shared = a.entities & b.entities
            if shared:
                wsum = sum(self._idf("e:" + e) for e in shared)
                wa = sum(self._idf("e:" + e) for e in a.entities)
                wb = sum(self._idf("e:" + e) for e in b.entities)
                ent = max(wsum / min(wa, wb), self._name_evidence(shared))
                off_topic = self._topic_cosine(va, na, vb, nb, words, dot, shared) < self.topic_floor
        if a.entities or b.entities:
            s = self.keyword_weight * cos + (1 - self.keyword_weight) * ent
        else:  # neither names anything: the words are all there is to go by
            s = cos
        if off_topic:
            s *= self.off_topic_factor
        if _places_differ(a.places, b.places):
            s *= 0.7
        if a.area and b.area and a.area != b.area:
            s *= 0.7
        if a.time is not None and b.time is not None:
            gap = abs(a.time - b.time)
            w = self.time_window_days
            if gap > w:
                s *= max(0.5, 1 - 0.5 * (gap - w) / (3 * w))
        return s

    def candidates(self, f: Features, exclude=None) -> list:
        keys = [k for k in self._index_keys(f) if 0 < self.df.get(k, 0) <= self.max_postings]
        keys.sort(key=lambda k: self.df[k])  # rarest first
        hits: Counter = Counter()
        for k in keys:
            for other in self.postings.get(k, ()):
                if other != exclude:
                    hits[other] += 1
        return [i for i, _ in hits.most_common(self.max_candidates)]

    def query_features(self, f: Features, *, limit: int = 10, min_score: float = 0.0, exclude=None):
        va = self._vector(f, cache=False)  # a query's features are thrown away: do not keep them
        scored = []
        for other in self.candidates(f, exclude=exclude):
            s = self.score(f, self.items[other], _va=va)
            if s >= min_score:
                scored.append((other, s))
        scored.sort(key=lambda x: -x[1])
        return scored[:limit]

    def query(
        self,
        text: str,
        *,
        time=None,
        area=None,
        title: str = "",
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[tuple[object, float]]:
        """Stored ids most likely about the same matter as ``text``: [(id, score)], best first."""
        f = extract(text, title=title, time=time, area=area)
        return self.query_features(f, limit=limit, min_score=min_score)


def pair_scores(index: Index, min_score: float) -> dict[tuple, float]:
    """All linked pairs (a, b) of stored items with score ≥ ``min_score`` (via the index)."""
    out: dict[tuple, float] = {}
    order = {k: i for i, k in enumerate(index.items)}
    for item_id, f in index.items.items():
        for other, s in index.query_features(f, limit=50, min_score=min_score, exclude=item_id):
            a, b = (item_id, other) if order[item_id] < order[other] else (other, item_id)
            out[(a, b)] = max(out.get((a, b), 0.0), s)
    return out


def group(
    records: Iterable[dict] | Sequence[tuple],
    *,
    threshold: float = GROUP_THRESHOLD,
    linkage: float = 0.2,
    max_group: int = 100,
    index: Index | None = None,
    links: dict[tuple, float] | None = None,
) -> list[list]:
    """Group messages about the same matter.

    ``records``: dicts with ``id``, ``text`` and optional ``title``, ``time``, ``area`` (or tuples
    ``(id, text[, time[, area]])``). Returns groups of size ≥ 2, largest first.

    Pairs scoring ≥ ``threshold`` are merged strongest first; two groups merge only when the
    average score over all their cross pairs (unlinked pairs count 0) is ≥ ``linkage`` and the
    result has at most ``max_group`` members. ``links`` may pass precomputed
    :func:`pair_scores` of ``index`` (at most ``min(threshold, linkage)``) to try several
    thresholds without rescoring.
    """
    index = index or Index()
    for r in records:
        if isinstance(r, dict):
            index.add(
                r["id"],
                r.get("text", ""),
                time=r.get("time"),
                area=r.get("area"),
                title=r.get("title", ""),
            )
        else:
            index.add(*r)
    if links is None:
        links = pair_scores(index, min(threshold, linkage))
    parent = {k: k for k in index.items}
    members = {k: [k] for k in index.items}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def sim(a, b):
        return links.get((a, b)) or links.get((b, a)) or 0.0

    for (a, b), s in sorted(links.items(), key=lambda x: -x[1]):
        if s < threshold:
            break
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma, mb = members[ra], members[rb]
        if len(ma) + len(mb) > max_group:
            continue
        avg = sum(sim(x, y) for x in ma for y in mb) / (len(ma) * len(mb))
        if avg < linkage:
            continue
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        ma.extend(mb)
        del members[rb]
    groups = [m for m in members.values() if len(m) >= 2]
    groups.sort(key=lambda g: (-len(g), str(g[0])))
    return groups
