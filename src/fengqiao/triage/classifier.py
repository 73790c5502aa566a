"""Message category classifier (诉求分类): sparse word + character features and a linear SVM.

Pure module (no Django imports). Text goes in as raw Chinese (title and body joined) or as
pre-segmented tokens; the top-k categories with calibrated probabilities come out.

Features, fitted on the training data:

* word unigrams and bigrams of the jieba segmentation (dictionary only, no HMM; run by rjieba,
  which cuts the same words ten times faster) of the first ``WORD_CHARS`` characters, TF-IDF
  with sublinear tf;
* character 1–3-grams of the text with spaces and punctuation removed (first ``MAX_CHARS``),
  TF-IDF with sublinear tf.

Pre-segmented rows (which have no raw text) are mapped into the same space — their words, and
their words joined together as the characters — so they can be mixed with raw rows.

Two linear models are trained on these features and averaged into one coefficient matrix (so
prediction costs one model): a one-vs-rest ``LinearSVC`` and an NB-SVM (one binary
``LinearSVC`` per class on features scaled by the class's naive-Bayes log-count ratio; the
scaling is folded into its weights). Each model's scores are put on a common scale by a
temperature fitted on out-of-fold scores; their average becomes probabilities through a softmax
with a temperature fitted the same way (minimum log-loss). Training rows are weighted so that
every class carries the same total weight (macro-F1 counts small classes as much as large ones).

The 20 training rows nearest a message (cosine of word TF-IDF vectors, found through an
inverted index kept in the model) vote: their similarity-weighted label shares are added, in
log space and weighted, to the linear model's log-probabilities (ADR 0112).

Models are saved with skops as a plain dict of numpy arrays and builtins (never a pickle of
sklearn objects, never a custom function), and are loaded only when every type the file lists
is on :data:`ALLOWED_TYPES`.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import warnings
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, diags, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from .text import compact, read_tokens, segmenter, tokenize

__all__ = [
    "ALLOWED_TYPES",
    "FORMAT",
    "CategoryModel",
    "ModelFileError",
    "UnsafeModelError",
    "load",
    "train",
]

FORMAT = "fengqiao.triage.category/2"
#: Formats this version refuses with a "retrain" message (their words were segmented differently).
OLD_FORMATS = frozenset({"fengqiao.triage.category/1"})
VERSION = "2.0"
#: Types a model file may declare beyond what skops trusts by default (numpy arrays and
#: builtins). The model dict written by :meth:`CategoryModel.save` needs none of them; they
#: are listed so a file written by a newer numpy/scipy with the same content still loads.
ALLOWED_TYPES = frozenset(
    {
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.float32",
        "numpy.float64",
        "numpy.int32",
        "numpy.int64",
        "numpy.str_",
    }
)
#: Only the first ``WORD_CHARS`` characters are segmented for word features, and character
#: n-grams read at most ``MAX_CHARS`` characters, so a long message is classified in
#: milliseconds. Words from 1,200 rather than 400 characters: +0.004 CV macro-F1 (4 of 5
#: folds), affordable since rjieba segments ten times faster (ADR 0108); beyond that, nothing
#: more. Characters at 800 rather than 1,200 cost 0.001 (noise) and a third of the time. A
#: model file records the cuts it was trained with, and is applied with them.
WORD_CHARS = 1200
MAX_CHARS = 800

#: jieba's HMM guessing of unknown words is off for the classifier (faster, same CV figure).
WORD_HMM = False
WORD_PARAMS = {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.9}
#: C of the one-vs-rest LinearSVC and of the NB-SVM's per-class LinearSVCs (5-fold CV).
SVC_C = 1.0
NB_C = 0.7
NB_ALPHA = 1.0
CHAR_PARAMS = {"ngram_range": (1, 3), "min_df": 2, "max_df": 0.9}
#: Rows are weighted so that every class carries the same total weight: macro-F1 counts the
#: small classes (交通运输, 环境保护, 卫生计生) as much as the large ones. +0.002 CV macro-F1,
#: better in 4 of 5 folds (ADR 0109).
CLASS_WEIGHT = "balanced"
#: ... but no class's rows weigh more than this many times an average row: a county's own
#: history can hold categories with a handful of labelled matters, and full balancing would
#: let three rows outweigh hundreds. (TipDM's multipliers are 0.66–2.14; the cap does not bind.)
MAX_CLASS_WEIGHT = 5.0
#: The labels of the training rows nearest a message (cosine of their word TF-IDF vectors)
#: vote beside the linear model: the ``NEIGHBOURS`` nearest rows' similarity-weighted label
#: shares ``s`` add ``VOTE_WEIGHT · log(s + VOTE_FLOOR)`` to the model's log-probabilities.
#: They carry how a board labels the boundary cases (a village road under 交通运输 or under
#: 城乡建设) that one linear weight per word averages away: +0.005 CV macro-F1, better in
#: all 5 folds (ADR 0112).
NEIGHBOURS = 20
VOTE_WEIGHT = 0.3
VOTE_FLOOR = 0.01
#: A message reads the postings of its words, which grow with the rows kept. A county training on a larger
#: history keeps a random sample of this many rows for the votes (the linear model still
#: learns from every row), so the votes stay within the 5 ms budget.
MAX_NEIGHBOUR_ROWS = 20_000


#: The longest n-grams a model file may ask for (this version trains 2 and 3); more is taken
#: for a damaged file.
MAX_NGRAM = 8
#: The score a linear member gives a class that is missing from its training rows (which
#: happens in a calibration fold when a class has fewer rows than there are folds): zero
#: weights and the intercept -1, what a one-vs-rest SVM learns for a class with no positive
#: rows (every row at the margin), so that class never wins and takes little probability.
ABSENT_CLASS_SCORE = -1.0


#: A message classified once when a model is loaded or built, so that everything a prediction
#: needs (the segmenter's dictionary above all) is initialised before the first real one.
WARM_UP_TEXT = "A市A1区某小区门前道路破损，请有关部门尽快修复"


class ModelFileError(ValueError):
    """The model file is missing, damaged or of an unknown format. Messages read
    "中文 / English"; :attr:`zh` and :attr:`en` give the two halves."""

    @property
    def zh(self) -> str:
        return str(self).partition(" / ")[0]

    @property
    def en(self) -> str:
        zh, sep, en = str(self).partition(" / ")
        return en if sep else zh


class UnsafeModelError(ModelFileError):
    """The model file declares types outside the allow-list; it was not loaded."""


def _word_vectorizer(vocabulary=None, params=None) -> TfidfVectorizer:
    p = {**WORD_PARAMS, **(params or {})}
    return TfidfVectorizer(
        analyzer="word",
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=tuple(p["ngram_range"]),
        min_df=p["min_df"],
        max_df=p["max_df"],
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def _char_vectorizer(vocabulary=None, params=None) -> TfidfVectorizer:
    p = {**CHAR_PARAMS, **(params or {})}
    return TfidfVectorizer(
        analyzer="char",
        lowercase=False,
        ngram_range=tuple(p["ngram_range"]),
        min_df=p["min_df"],
        max_df=p["max_df"],
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


Analysed = tuple[list[str], str]  # (words, compact characters)


def analyse(text: str, word_chars: int = WORD_CHARS, max_chars: int = MAX_CHARS) -> Analysed:
    """Words (dictionary segmentation of the first ``word_chars`` characters) and compact
    characters of a raw text."""
    text = text or ""
    return tokenize(text[:word_chars], hmm=WORD_HMM), compact(text[:max_chars])


def analyse_tokens(tokens: str, word_chars: int = WORD_CHARS, max_chars: int = MAX_CHARS) -> Analysed:
    """The same for a pre-segmented text (words separated by spaces)."""
    toks = read_tokens(tokens)
    words, size = [], 0
    for w in toks:
        if size >= word_chars:
            break
        words.append(w)
        size += len(w)
    return words, "".join(toks)[:max_chars]


def _docs(items: list[Analysed]) -> tuple[list[str], list[str]]:
    return [" ".join(w) for w, _ in items], [c for _, c in items]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    def nll(t: float) -> float:
        p = _softmax(scores, t)
        return float(-np.log(np.clip(p[np.arange(len(y_idx)), y_idx], 1e-12, None)).mean())

    res = minimize_scalar(nll, bounds=(0.05, 100.0), method="bounded")
    return float(res.x)


def _ngrams(seq: Sequence[str], ngram_range: tuple[int, int], sep: str) -> list[str]:
    """All n-grams of a word list (joined by a space) or of a string's characters, for n in
    ``ngram_range``, as sklearn's vectorizers form them; built with C-level map/zip."""
    lo, hi = ngram_range
    out: list[str] = []
    for n in range(lo, hi + 1):
        if n == 1:
            out.extend(seq)
        elif len(seq) >= n:
            out.extend(map(sep.join, zip(*(seq[i:] for i in range(n)), strict=False)))
    return out


class _GramCodes:
    """A vocabulary's n-grams as sorted integer codes, so the n-grams of a message are formed
    and looked up with a few numpy operations instead of one Python string and one probe of a
    large dict per n-gram (the probes miss the CPU caches and were most of the time).

    Each unit (a word, or a character) seen in the vocabulary gets an id 1..A; an n-gram's code
    is its ids as digits in base A + 1. Codes of different lengths cannot collide (a length-n
    code lies in [B^(n-1), B^n)), and an n-gram with a unit outside the vocabulary (id 0) cannot
    be a term. :meth:`build` returns ``None`` when the codes would not fit in 63 bits; the dict
    lookup is used then."""

    def __init__(self, units: dict[str, int], base: int, codes, index, ngram_range):
        self.units = units
        self.base = base
        self.codes = codes  # sorted int64 codes of the vocabulary's terms
        self.index = index  # feature index of each code
        self.lo, self.hi = ngram_range

    @classmethod
    def build(cls, terms: list[str], ngram_range: tuple[int, int], sep: str):
        n_terms = len(terms)
        if not n_terms:
            return None
        if sep:  # word n-grams: words joined by ``sep``
            flat: Sequence[str] = sep.join(terms).split(sep)
            lengths = np.fromiter(map(str.count, terms, repeat(sep)), np.int64, n_terms) + 1
        else:  # character n-grams: iterating the joined string gives the characters
            flat = "".join(terms)
            lengths = np.fromiter(map(len, terms), np.int64, n_terms)
        if len(flat) != int(lengths.sum()):
            return None
        if sep:
            units = {u: i for i, u in enumerate(sorted(set(flat)), start=1)}
            ids = np.fromiter(map(units.__getitem__, flat), dtype=np.int64, count=len(flat))
        else:  # characters: by code point, without a Python call per character
            points = np.frombuffer(flat.encode("utf-32-le"), dtype=np.uint32)
            alphabet = np.unique(points)
            ids = np.searchsorted(alphabet, points).astype(np.int64) + 1
            units = {chr(c): i for i, c in enumerate(alphabet.tolist(), start=1)}
        base = len(units) + 1
        if base ** max(ngram_range[1], int(lengths.max())) >= 2**63:
            return None
        starts = np.cumsum(lengths) - lengths
        code = np.zeros(n_terms, dtype=np.int64)
        for j in range(int(lengths.max())):
            m = lengths > j
            code[m] = code[m] * base + ids[starts[m] + j]
        order = np.argsort(code, kind="stable")
        return cls(units, base, code[order], order.astype(np.int64), ngram_range)

    def lookup(self, seq: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, counts) of the vocabulary terms among ``seq``'s n-grams."""
        n_units = len(seq)
        ids = np.fromiter(map(self.units.get, seq, repeat(0, n_units)), np.int64, n_units)
        parts = []
        for n in range(self.lo, min(self.hi, n_units) + 1):
            width = n_units - n + 1
            code = ids[:width]
            known = code > 0
            for j in range(1, n):
                nxt = ids[j : j + width]
                code = code * self.base + nxt
                known &= nxt > 0
            parts.append(code[known])
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        found, tf = np.unique(np.concatenate(parts), return_counts=True)
        pos = np.searchsorted(self.codes, found)
        pos[pos == len(self.codes)] = 0
        hit = self.codes[pos] == found
        return self.index[pos[hit]], tf[hit]


def _terms(vocab: dict[str, int]) -> list[str]:
    ordered = [""] * len(vocab)
    for term, i in vocab.items():
        ordered[i] = term
    return ordered


@dataclass
class NeighbourVotes:
    """The training rows' word TF-IDF vectors, kept as postings per word term (an inverted
    index), and their labels: what the nearest-neighbour votes of :data:`NEIGHBOURS` read."""

    indptr: np.ndarray  # (n_word_terms + 1,) int64: postings of term t are [indptr[t], indptr[t+1])
    rows: np.ndarray  # int32: training row of each posting
    values: np.ndarray  # float32: that row's (L2-normalised) TF-IDF weight of the term
    labels: np.ndarray  # int32: class index of each training row
    k: int = NEIGHBOURS
    weight: float = VOTE_WEIGHT
    floor: float = VOTE_FLOOR

    @classmethod
    def build(cls, xw: csr_matrix, y_idx: np.ndarray, **params) -> NeighbourVotes:
        """The votes of the rows of ``xw`` (at most :data:`MAX_NEIGHBOUR_ROWS` of them, a
        random sample with a fixed seed when there are more)."""
        if xw.shape[0] > MAX_NEIGHBOUR_ROWS:
            keep = np.sort(np.random.default_rng(0).choice(xw.shape[0], MAX_NEIGHBOUR_ROWS, replace=False))
            xw, y_idx = xw[keep], np.asarray(y_idx)[keep]
        m = xw.tocsc()
        m.sort_indices()
        return cls(
            np.asarray(m.indptr, dtype=np.int64),
            np.asarray(m.indices, dtype=np.int32),
            np.asarray(m.data, dtype=np.float32),
            np.asarray(y_idx, dtype=np.int32),
            **params,
        )

    def check(self, n_terms: int, n_classes: int) -> None:
        """Raise :class:`ModelFileError` (a ``ValueError``) unless the arrays fit together and
        fit the model."""
        n = len(self.rows)
        if self.indptr.shape != (n_terms + 1,) or self.indptr[0] != 0 or self.indptr[-1] != n:
            raise ModelFileError(
                "模型文件的近邻索引与词表不符 / neighbour postings do not match the word vocabulary"
            )
        if np.any(np.diff(self.indptr) < 0) or len(self.values) != n or not np.isfinite(self.values).all():
            raise ModelFileError("模型文件的近邻索引已损坏 / neighbour postings are damaged")
        if n and (self.rows.min() < 0 or self.rows.max() >= len(self.labels)):
            raise ModelFileError(
                "模型文件的近邻索引指向不存在的行 / neighbour postings name rows that do not exist"
            )
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= n_classes):
            raise ModelFileError(
                "模型文件的近邻类别超出模型类别 / neighbour labels outside the model's classes"
            )
        if self.k < 1 or not np.isfinite(self.weight) or not np.isfinite(self.floor) or self.floor <= 0:
            raise ModelFileError("模型文件的近邻投票参数无效 / bad neighbour vote parameters")

    def _shares(self, sims: np.ndarray, n_classes: int) -> np.ndarray:
        if len(sims) > self.k:
            top = np.argpartition(-sims, self.k - 1)[: self.k]
        else:
            top = np.arange(len(sims))
        votes = np.bincount(self.labels[top], weights=sims[top], minlength=n_classes)
        total = votes.sum()
        return votes / total if total > 0 else np.full(n_classes, 1.0 / n_classes)

    def shares_one(self, idx: np.ndarray, val: np.ndarray, n_classes: int) -> np.ndarray:
        """Label shares of the rows nearest one message, given its word vector as sorted term
        indices and normalised weights."""
        lo = self.indptr[idx]
        counts = self.indptr[idx + 1] - lo  # only the message's terms, not the whole vocabulary
        total = int(counts.sum())
        if not total:
            return np.full(n_classes, 1.0 / n_classes)
        # positions of all postings of the message's terms, without a Python loop per term
        pos = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(total)
        sims = np.bincount(
            self.rows[pos],
            weights=self.values[pos] * np.repeat(val.astype(np.float32), counts),
            minlength=len(self.labels),
        )
        return self._shares(sims, n_classes)

    def shares(self, xw: csr_matrix, n_classes: int) -> np.ndarray:
        """Label shares for each row of a word TF-IDF matrix (batch path)."""
        # the postings, read as compressed rows, are the (terms × training rows) matrix
        memory = csr_matrix(
            (self.values, self.rows, self.indptr), shape=(xw.shape[1], len(self.labels))
        )
        out = np.empty((xw.shape[0], n_classes))
        for start in range(0, xw.shape[0], 256):
            sims = (xw[start : start + 256] @ memory).toarray()
            for i, row in enumerate(sims):
                out[start + i] = self._shares(row, n_classes)
        return out

    def log_scores(self, log_p: np.ndarray, shares: np.ndarray) -> np.ndarray:
        return log_p + self.weight * np.log(shares + self.floor)


def _log_softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@dataclass
class CategoryModel:
    """A trained category classifier. Build it with :func:`train` or :func:`load`."""

    labels: list[str]
    word: TfidfVectorizer
    char: TfidfVectorizer
    coef: np.ndarray  # (n_classes, n_features) float32
    intercept: np.ndarray  # (n_classes,)
    temperature: float = 1.0
    metadata: dict = field(default_factory=dict)
    #: nearest-neighbour votes (``None``: the linear model alone, as files before ADR 0112)
    votes: NeighbourVotes | None = None
    #: the softmax temperature of the linear log-probabilities plus the votes
    vote_temperature: float = 1.0

    def __post_init__(self) -> None:
        self._prepare()

    def _prepare(self) -> None:
        """Build the lookup tables of the single-message fast path."""
        # a text is cut where it was cut for training (every format-2 file records it)
        params = self.metadata.get("params", {})
        try:
            self._cut = (int(params["word_chars"]), int(params["max_chars"]))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError("模型文件未记录文本截断长度 / the model file does not say where texts were cut") from exc
        if min(self._cut) < 1:
            raise ModelFileError("模型文件的文本截断长度无效 / the model file's text cuts are not positive")
        self._wvocab = self.word.vocabulary_ if hasattr(self.word, "vocabulary_") else None
        if self._wvocab is None:  # vectorizer built from a saved vocabulary
            self._wvocab = self.word.vocabulary
        self._cvocab = getattr(self.char, "vocabulary_", None) or self.char.vocabulary
        self._widf = np.asarray(self.word.idf_, dtype=np.float32)
        self._cidf = np.asarray(self.char.idf_, dtype=np.float32)
        self._offset = len(self._wvocab)
        self._coef_t = np.ascontiguousarray(self.coef.T, dtype=np.float32)
        self._wn = tuple(self.word.ngram_range)
        self._cn = tuple(self.char.ngram_range)
        self._wcodes = _GramCodes.build(_terms(self._wvocab), self._wn, " ")
        self._ccodes = _GramCodes.build(_terms(self._cvocab), self._cn, "")
        # The segmenter reads its dictionary on first use: do that as part of the load, not in
        # the first classification (which `triage evaluate` would time).
        self._proba_one(analyse(WARM_UP_TEXT, *self._cut))  # the vote path too, when there are votes

    # -- prediction ---------------------------------------------------------------------------
    def _fast_scores(self, item: Analysed) -> np.ndarray:
        """Class scores of one segmented text, computed straight from the vocabularies
        (same figures as the sklearn vectorizers, without their per-call overhead)."""
        return self._fast(item)[0]

    def _fast(self, item: Analysed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class scores of one segmented text and its word vector (term indices, normalised
        weights), which the neighbour votes read."""
        words, chars = item
        scores = self.intercept.astype(np.float64)
        word_vector = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        for seq, codes, vocab, ngram_range, sep, idf, offset in (
            (words, self._wcodes, self._wvocab, self._wn, " ", self._widf, 0),
            (chars, self._ccodes, self._cvocab, self._cn, "", self._cidf, self._offset),
        ):
            if codes is not None:
                idx, tf = codes.lookup(seq)
            else:  # vocabulary too large for integer codes: look every n-gram string up
                grams = _ngrams(seq, ngram_range, sep)
                n = len(grams)
                idx = np.fromiter(map(vocab.get, grams, repeat(-1, n)), dtype=np.int64, count=n)
                idx, tf = np.unique(idx[idx >= 0], return_counts=True)
            if not len(idx):
                continue
            val = (np.log(tf) + 1.0) * idf[idx]
            val /= np.sqrt(np.dot(val, val))
            scores += val @ self._coef_t[idx + offset]
            if not offset:
                word_vector = (idx, val)
        return (scores, *word_vector)

    def _proba(self, scores: np.ndarray, shares: np.ndarray | None) -> np.ndarray:
        """Probabilities from linear scores (n, K) and, when the model has them, the
        neighbours' label shares (n, K)."""
        if self.votes is None or shares is None:
            return _softmax(scores, self.temperature)
        log_p = _log_softmax(scores, self.temperature)
        return _softmax(self.votes.log_scores(log_p, shares), self.vote_temperature)

    def _proba_one(self, item: Analysed) -> np.ndarray:
        scores, widx, wval = self._fast(item)
        shares = None
        if self.votes is not None:
            shares = self.votes.shares_one(widx, wval, len(self.labels))[None, :]
        return self._proba(scores[None, :], shares)[0]

    def _features(self, items: list[Analysed]) -> csr_matrix:
        wd, cd = _docs(items)
        return hstack([self.word.transform(wd), self.char.transform(cd)], format="csr")

    def decision(self, items: list[Analysed]) -> np.ndarray:
        """Raw class scores of analysed texts (see :func:`analyse`)."""
        x = self._features(items)
        return np.asarray(x @ self.coef.T) + self.intercept

    def proba_analysed(self, items: list[Analysed]) -> np.ndarray:
        if len(items) <= 32:
            return np.vstack([self._proba_one(it) for it in items])
        x = self._features(items)
        scores = np.asarray(x @ self.coef.T) + self.intercept
        shares = None
        if self.votes is not None:
            shares = self.votes.shares(x[:, : self._offset], len(self.labels))
        return self._proba(scores, shares)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns in :attr:`labels` order) for raw texts."""
        return self.proba_analysed([analyse(t, *self._cut) for t in texts])

    def predict_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most likely labels of one raw text with their probabilities, best first."""
        p = self._proba_one(analyse(text, *self._cut))
        order = np.argsort(-p)[:k]
        return [(self.labels[i], float(p[i])) for i in order]

    def predict_many(self, texts: Sequence[str]) -> list[str]:
        """The most likely label of each raw text."""
        if not texts:
            return []
        p = self.predict_proba(list(texts))
        return [self.labels[i] for i in p.argmax(axis=1)]

    def predict_tokens(self, tokens: Sequence[str]) -> list[str]:
        """The most likely label of each pre-segmented text (words separated by spaces)."""
        if not tokens:
            return []
        p = self.proba_analysed([analyse_tokens(t, *self._cut) for t in tokens])
        return [self.labels[i] for i in p.argmax(axis=1)]

    # -- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        def terms(vec: TfidfVectorizer) -> str:
            return "\n".join(_terms(vec.vocabulary_))

        return {
            "format": FORMAT,
            "version": VERSION,
            "word_hmm": WORD_HMM,
            "labels": list(self.labels),
            "word_params": {
                k: list(v) if isinstance(v, tuple) else v for k, v in WORD_PARAMS.items()
            },
            "char_params": {
                k: list(v) if isinstance(v, tuple) else v for k, v in CHAR_PARAMS.items()
            },
            "word_terms": terms(self.word),
            "char_terms": terms(self.char),
            "word_idf": np.asarray(self.word.idf_, dtype=np.float32),
            "char_idf": np.asarray(self.char.idf_, dtype=np.float32),
            "coef": np.ascontiguousarray(self.coef, dtype=np.float32),
            "intercept": np.asarray(self.intercept, dtype=np.float64),
            "temperature": float(self.temperature),
            "metadata_json": json.dumps(self.metadata, ensure_ascii=False),
            **self._votes_dict(),
        }

    def _votes_dict(self) -> dict:
        v = self.votes
        if v is None:
            return {}
        return {
            "vote_indptr": v.indptr,
            "vote_rows": v.rows,
            "vote_values": v.values,
            "vote_labels": v.labels,
            "vote_params": {"k": int(v.k), "weight": float(v.weight), "floor": float(v.floor)},
            "vote_temperature": float(self.vote_temperature),
        }

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` (a skops zip file holding only arrays and builtins)."""
        import skops.io as sio

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        try:
            sio.dump(self.to_dict(), tmp, compression=zipfile.ZIP_DEFLATED)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)  # nothing half-written stays behind

    @classmethod
    def from_dict(cls, d: dict) -> CategoryModel:
        """Validate a dict read from a model file and build the model from it. Every way the
        dict can be damaged (wrong types, shapes, non-finite numbers) raises
        :class:`ModelFileError` with a bilingual message, whether it is caught by a check here
        or only shows when the model is built and classifies its warm-up text."""
        try:
            return cls._from_dict(d)
        except ModelFileError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, IndexError, ArithmeticError) as exc:
            raise ModelFileError(f"模型文件已损坏 / damaged model file: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def _from_dict(cls, d: dict) -> CategoryModel:
        if d.get("format") in OLD_FORMATS:
            raise ModelFileError(
                f"旧版模型格式，请重新训练 / old model format {d.get('format')!r}: "
                "retrain it with `fengqiao triage train` (format "
                f"{FORMAT!r} is needed)"
            )
        if d.get("format") != FORMAT:
            raise ModelFileError(f"未知的模型格式 / unknown model format {d.get('format')!r}")
        if bool(d.get("word_hmm", False)) != WORD_HMM:
            raise ModelFileError("模型分词方式不符 / model was built with another segmentation")
        labels = [str(x) for x in d["labels"]]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ModelFileError(
                "模型文件的类别列表无效 / the model file needs two or more distinct labels"
            )
        vecs = []
        for kind, make in (("word", _word_vectorizer), ("char", _char_vectorizer)):
            terms = d[f"{kind}_terms"].split("\n") if d[f"{kind}_terms"] else []
            idf = np.asarray(d[f"{kind}_idf"], dtype=np.float32)
            if idf.shape != (len(terms),) or len(set(terms)) != len(terms):
                raise ModelFileError(
                    f"模型文件的词表与 IDF 不符 / {kind} vocabulary and idf sizes differ "
                    "(or a term repeats)"
                )
            _check_finite(f"{kind}_idf", idf, positive=True)
            vec = make(vocabulary={t: i for i, t in enumerate(terms)}, params=d[f"{kind}_params"])
            lo, hi = (operator.index(n) for n in vec.ngram_range)
            if not 1 <= lo <= hi <= MAX_NGRAM:
                raise ModelFileError(
                    f"模型文件的 n 元范围无效 / bad {kind} n-gram range {vec.ngram_range!r}"
                )
            vec.ngram_range = (lo, hi)
            vec.idf_ = idf
            vecs.append(vec)
        with np.errstate(over="ignore"):  # too large for float32 → inf, refused below
            coef = np.asarray(d["coef"], dtype=np.float32)
        intercept = np.asarray(d["intercept"], dtype=np.float64)
        n_feat = len(vecs[0].vocabulary) + len(vecs[1].vocabulary)
        if coef.shape != (len(labels), n_feat) or intercept.shape != (len(labels),):
            raise ModelFileError(
                "模型文件的系数维度与类别和词表不符 / "
                "coefficient shape does not match labels and vocabulary"
            )
        _check_finite("coef", coef)
        _check_finite("intercept", intercept)
        metadata = json.loads(d.get("metadata_json") or "{}")
        if not isinstance(metadata, dict):
            raise ModelFileError(
                "模型文件的元数据不是 JSON 对象 / the model file's metadata is not a JSON object"
            )
        temperature = float(d["temperature"])
        _check_finite("temperature", temperature, positive=True)
        votes, vote_temperature = None, 1.0
        if "vote_rows" in d:  # files before ADR 0112 have no neighbour votes
            params = d["vote_params"]
            votes = NeighbourVotes(
                np.asarray(d["vote_indptr"], dtype=np.int64),
                np.asarray(d["vote_rows"], dtype=np.int32),
                np.asarray(d["vote_values"], dtype=np.float32),
                np.asarray(d["vote_labels"], dtype=np.int32),
                k=int(params["k"]),
                weight=float(params["weight"]),
                floor=float(params["floor"]),
            )
            votes.check(len(vecs[0].vocabulary), len(labels))
            vote_temperature = float(d["vote_temperature"])
            _check_finite("vote_temperature", vote_temperature, positive=True)
        # building the model prepares the lookup tables and classifies the warm-up text
        return cls(
            labels, vecs[0], vecs[1], coef, intercept, temperature, metadata, votes, vote_temperature
        )


def _check_finite(name: str, values, *, positive: bool = False) -> None:
    """Raise :class:`ModelFileError` if ``values`` hold NaN or infinity (or, with ``positive``,
    a value ≤ 0): they would turn every probability into NaN."""
    a = np.asarray(values)  # already float arrays: no copy of the large coefficient matrix
    if not np.isfinite(a).all() or (positive and not (a > 0).all()):
        want = "positive finite numbers" if positive else "finite numbers"
        raise ModelFileError(f"模型文件含有无效数值 / the model file's {name} must hold {want}")


def load(path: str | Path) -> CategoryModel:
    """Load a model written by :meth:`CategoryModel.save` (see :func:`loads`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"找不到模型文件 / model file not found: {path}") from None
    except OSError as exc:
        raise ModelFileError(f"无法读取模型文件 / cannot read model file {path}: {exc.strerror}") from exc
    return loads(data, source=str(path))


def loads(data: bytes, source: str = "") -> CategoryModel:
    """The model held by ``data``, the bytes of a file written by :meth:`CategoryModel.save`.

    Taking bytes lets a caller check a file's sha256 and load exactly the bytes it checked.
    The file's declared types are checked against :data:`ALLOWED_TYPES` first; a file that
    asks to trust anything else raises :class:`UnsafeModelError` and nothing is instantiated.
    Any other problem with the file raises :class:`ModelFileError`. ``source`` names the file
    in messages.
    """
    import skops.io as sio

    name = source or "<bytes>"
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelFileError(f"不是 skops 模型文件 / not a skops model file: {name} ({exc})") from exc
    refused = sorted(t for t in untrusted if t not in ALLOWED_TYPES)
    if refused:
        raise UnsafeModelError(
            "模型文件声明了不受信任的类型 / model file declares untrusted types: " + ", ".join(refused)
        )
    try:
        loaded = sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ModelFileError(f"无法读取模型文件 / cannot read model file {name}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ModelFileError("模型文件中没有模型 / model file does not hold a model dict")
    return CategoryModel.from_dict(loaded)


def _fit_svc(x: csr_matrix, y_idx: np.ndarray, w: np.ndarray, n_classes: int, c: float):
    """One-vs-rest LinearSVC: (coef (K, F), intercept (K,)), one row per class even for K = 2.

    A class missing from ``y_idx`` (a calibration fold can lack a rare class) gets zero
    weights and the intercept :data:`ABSENT_CLASS_SCORE`."""
    clf = LinearSVC(C=c, random_state=0)
    clf.fit(x, y_idx, sample_weight=w)
    present = clf.classes_
    coef, intercept = clf.coef_.astype(np.float32), clf.intercept_.astype(np.float64)
    if len(present) == 2:  # binary LinearSVC keeps one row; expand to one row per class
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    if len(present) == n_classes:
        return coef, intercept
    full_coef = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
    full_intercept = np.full(n_classes, ABSENT_CLASS_SCORE)
    full_coef[present] = coef
    full_intercept[present] = intercept
    return full_coef, full_intercept


def _fit_nbsvm(x: csr_matrix, y_idx: np.ndarray, w: np.ndarray, n_classes: int, c: float):
    """NB-SVM (Wang & Manning 2012): per class, a binary LinearSVC on the features scaled by
    the absolute naive-Bayes log-count ratio of that class (from binarised features). The
    scaling is folded into the weights, so the result is an ordinary linear model. A class
    missing from ``y_idx`` gets zero weights and the intercept :data:`ABSENT_CLASS_SCORE`."""
    b = x.copy()
    b.data[:] = 1.0
    coef = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_classes)
    for k in range(n_classes):
        yk = (y_idx == k).astype(np.int64)
        if not yk.any():  # no row of this class to learn from (a calibration fold)
            intercept[k] = ABSENT_CLASS_SCORE
            continue
        pos = np.asarray(b[yk == 1].sum(axis=0)).ravel() + NB_ALPHA
        neg = np.asarray(b[yk == 0].sum(axis=0)).ravel() + NB_ALPHA
        r = np.abs(np.log((pos / pos.sum()) / (neg / neg.sum()))).astype(np.float32)
        clf = LinearSVC(C=c, random_state=0)
        clf.fit(x @ diags(r), yk, sample_weight=w)
        coef[k] = clf.coef_[0] * r
        intercept[k] = clf.intercept_[0]
    return coef, intercept


def _scores(x: csr_matrix, model: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    coef, intercept = model
    return np.asarray(x @ coef.T) + intercept


def balanced_weights(weights: np.ndarray, y_idx: np.ndarray, n_classes: int) -> np.ndarray:
    """Row weights scaled so every class carries the same total (each class's scale capped
    at :data:`MAX_CLASS_WEIGHT`)."""
    per_class = np.bincount(y_idx, weights=weights, minlength=n_classes)
    scale = np.minimum(weights.sum() / (n_classes * per_class), MAX_CLASS_WEIGHT)
    return weights * scale[y_idx]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    pretokenized: Sequence[str] | None = None,
    pretokenized_labels: Sequence[str] | None = None,
    extra_weight: float = 1.0,
    c: float = SVC_C,
    nb_c: float = NB_C,
    class_weight: str | None = CLASS_WEIGHT,
    neighbours: int = NEIGHBOURS,
    calibration_folds: int = 3,
    metadata: dict | None = None,
) -> CategoryModel:
    """Train a classifier.

    ``texts``/``labels``: raw texts (title and body joined) with their labels.
    ``pretokenized``/``pretokenized_labels``: optional extra rows given as space-separated
    words (e.g. the segmented TipDM file); they enter the same feature space.
    ``c``/``nb_c``: C of the LinearSVC and of the NB-SVM (``nb_c=0`` leaves the NB-SVM out).
    ``class_weight``: ``"balanced"`` scales the row weights so each class carries the same
    total weight (a class's rows at most :data:`MAX_CLASS_WEIGHT` times); ``None`` keeps them
    as they are.
    ``neighbours``: how many nearest training rows vote (0: no votes, the linear model alone).
    ``calibration_folds``: folds for the out-of-fold scores that put the two models on one
    scale and fit the softmax temperature (0 or 1: plain sum, temperature 1). They run when at
    least two classes have that many rows; a rarer class (a county history can hold a category
    with one labelled matter) is still trained on, but the rows a fold could not have learnt
    (their class is missing from the fold's training part) are left out of the temperature
    fits and the CV figure (``params.calibration`` in the metadata says which).
    """
    texts = list(texts)
    labels = [str(x) for x in labels]
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    pre = list(pretokenized or [])
    pre_labels = [str(x) for x in (pretokenized_labels or [])]
    if len(pre) != len(pre_labels):
        raise ValueError("pretokenized rows and labels differ in length")
    items = [analyse(t) for t in texts] + [analyse_tokens(t) for t in pre]
    y = labels + pre_labels
    keep = [i for i, it in enumerate(items) if it[1]]
    if not keep:
        raise ValueError("no usable training text")
    items = [items[i] for i in keep]
    y = [y[i] for i in keep]
    weights = np.array([1.0 if i < len(texts) else extra_weight for i in keep])
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError("need at least two labels to train")
    y_idx = np.array([classes.index(v) for v in y])
    if class_weight == "balanced":
        weights = balanced_weights(weights, y_idx, len(classes))
    elif class_weight is not None:
        raise ValueError(f"unknown class_weight {class_weight!r}")

    min_df = 2 if len(items) >= 50 else 1
    word = _word_vectorizer(params={"min_df": min_df})
    char = _char_vectorizer(params={"min_df": min_df})
    wd, cd = _docs(items)
    x = hstack([word.fit_transform(wd), char.fit_transform(cd)], format="csr")
    # the pruned-term sets are only diagnostic and can be huge
    word.stop_words_ = None
    char.stop_words_ = None

    k = len(classes)
    fits = [lambda xx, yy, ww: _fit_svc(xx, yy, ww, k, c)]
    if nb_c > 0:
        fits.append(lambda xx, yy, ww: _fit_nbsvm(xx, yy, ww, k, nb_c))
    scales = [1.0] * len(fits)
    temperature = 1.0
    vote_temperature = 1.0
    cv_macro_f1 = None
    n_words = len(word.vocabulary_)
    vote_params = {"k": neighbours, "weight": VOTE_WEIGHT, "floor": VOTE_FLOOR}
    counts = np.bincount(y_idx, minlength=k)
    folds = calibration_folds if calibration_folds >= 2 else 0
    rare = [classes[i] for i in np.flatnonzero(counts < folds)]
    calibration: dict = {"folds": folds, "rare_labels": rare}
    if folds and int((counts >= folds).sum()) < 2:
        # every fold's training part needs two classes; a class with ``folds`` rows has rows
        # in every training part
        folds = 0
        calibration.update(folds=0, skipped="too_few_rows")
    elif not folds:
        calibration.update(skipped="not_requested")
    if folds:
        oof = [np.zeros((len(y_idx), k)) for _ in fits]
        oof_shares = np.zeros((len(y_idx), k))
        # rows whose class is in their fold's training part: only their out-of-fold scores
        # say how the model scores a class it has learnt
        learnt = np.ones(len(y_idx), dtype=bool)
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        with warnings.catch_warnings():  # rare classes are expected here (see above)
            warnings.filterwarnings(
                "ignore", message="The least populated class in y has only", category=UserWarning
            )
            splits = list(skf.split(np.zeros(len(y_idx)), y_idx))
        for a, b in splits:
            learnt[b] = np.isin(y_idx[b], y_idx[a])
            for s, fit in zip(oof, fits, strict=True):
                s[b] = _scores(x[b], fit(x[a], y_idx[a], weights[a]))
            if neighbours > 0:
                fold_votes = NeighbourVotes.build(x[a][:, :n_words], y_idx[a], **vote_params)
                oof_shares[b] = fold_votes.shares(x[b][:, :n_words], k)
        if not learnt.all():
            oof = [s[learnt] for s in oof]
            oof_shares = oof_shares[learnt]
        y_fit = y_idx[learnt] if not learnt.all() else y_idx
        calibration["rows_left_out"] = int((~learnt).sum())
        # each model's temperature puts its scores on the scale of log-probabilities
        scales = [_fit_temperature(s, y_fit) for s in oof]
        scores = sum(t * s for t, s in zip(scales, oof, strict=True)) / len(fits)
        temperature = _fit_temperature(scores, y_fit)
        if neighbours > 0:
            voted = fold_votes.log_scores(_log_softmax(scores, temperature), oof_shares)
            vote_temperature = _fit_temperature(voted, y_fit)
            scores = voted
        # the macro average over the classes the folds could score
        cv_labels = None if learnt.all() else np.unique(y_fit)
        cv_macro_f1 = float(f1_score(y_fit, scores.argmax(1), labels=cv_labels, average="macro"))

    coef = np.zeros((k, x.shape[1]), dtype=np.float32)
    intercept = np.zeros(k)
    for t, fit in zip(scales, fits, strict=True):
        m_coef, m_intercept = fit(x, y_idx, weights)
        coef += (t / len(fits)) * m_coef
        intercept += (t / len(fits)) * m_intercept
    votes = None
    if neighbours > 0:
        votes = NeighbourVotes.build(x[:, :n_words], y_idx, **vote_params)

    meta = {
        "version": VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "labels": classes,
        "training": {
            "raw_rows": len(texts),
            "pretokenized_rows": len(pre),
            "rows_used": len(y),
            "per_label": dict(sorted(Counter(y).items())),
        },
        "params": {
            "c": c,
            "nb_c": nb_c,
            "class_weight": class_weight,
            "max_class_weight": MAX_CLASS_WEIGHT,
            "model_scales": scales,
            "extra_weight": extra_weight,
            "word": {
                **WORD_PARAMS,
                "min_df": min_df,
                "hmm": WORD_HMM,
                "segmenter": segmenter(),
            },
            "char": {**CHAR_PARAMS, "min_df": min_df},
            "word_chars": WORD_CHARS,
            "max_chars": MAX_CHARS,
            "calibration_folds": folds,
            "calibration": calibration,
            "temperature": temperature,
            "neighbours": (
                {**vote_params, "temperature": vote_temperature, "rows": len(votes.labels)}
                if votes
                else None
            ),
        },
        "evaluation": {"cv_macro_f1": cv_macro_f1} if cv_macro_f1 is not None else {},
    }
    meta.update(metadata or {})
    return CategoryModel(
        classes, word, char, coef, intercept, temperature, meta, votes, vote_temperature
    )
