"""Chinese text helpers for triage (文本预处理): normalisation and jieba word segmentation.

Pure module: no Django imports. Dictionary-only segmentation (``hmm=False``, what the category
classifier uses) runs on ``rjieba``, the Rust port of jieba: it cuts exactly as jieba does
(the same words on all 12,559 TipDM messages, hot messages, replies and reply texts) about ten
times faster. jieba itself serves segmentation with the HMM (whose guesses differ between the
two) and stands in when rjieba cannot be imported; it is created lazily, once per process,
with its logger quietened and its dictionary cache kept in the system temp directory.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable

__all__ = [
    "compact",
    "join_fields",
    "normalize",
    "read_tokens",
    "segmenter",
    "tokenize",
    "tokenizer",
    "words",
]

_EXCEL_CR = re.compile(r"_x000[dDaA]_")
_SPACES = re.compile(r"\s+")
_TOKEN_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
_NON_WORD = re.compile(r"[\W_]+")

_lock = threading.Lock()
_tokenizer = None
_UNSET = object()
_fast_cut = _UNSET


def normalize(text: str | None) -> str:
    """Return ``text`` with full-width forms folded to half-width (NFKC), Excel carriage-return
    escapes removed, Latin letters lower-cased and every whitespace run collapsed to one space."""
    if not text:
        return ""
    text = _EXCEL_CR.sub(" ", str(text))
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u3000", " ").lower()
    return _SPACES.sub(" ", text).strip()


def compact(text: str | None) -> str:
    """Normalised ``text`` with every space, punctuation mark and symbol removed (the input of
    character n-gram features; for segmented text it equals the words joined together)."""
    return _NON_WORD.sub("", normalize(text))


def join_fields(*parts: str | None) -> str:
    """Join several text fields (e.g. title and body) into one normalised text."""
    return normalize(" ".join(p for p in parts if p))


def tokenizer():
    """The shared jieba ``Tokenizer`` (initialised on first use, thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                # jieba caches its parsed dictionary; keep that cache inside a temp directory.
                tk.tmp_dir = os.environ.get("FENGQIAO_JIEBA_CACHE_DIR") or tempfile.gettempdir()
                tk.initialize()
                _tokenizer = tk
    return _tokenizer


def _rjieba_cut():
    """``rjieba.cut`` when rjieba can be imported, else ``None`` (jieba is used instead)."""
    global _fast_cut
    if _fast_cut is _UNSET:
        try:
            import rjieba

            _fast_cut = rjieba.cut
        except ImportError:  # pragma: no cover - no wheel for this platform
            _fast_cut = None
    return _fast_cut


def segmenter() -> str:
    """Which segmenter :func:`tokenize` uses (with or without the HMM), e.g. ``"rjieba 0.2.2"``;
    recorded in model metadata."""
    from importlib.metadata import PackageNotFoundError, version

    name = "jieba" if _rjieba_cut() is None else "rjieba"
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:  # pragma: no cover
        return name


def tokenize(text: str | None, *, hmm: bool = True) -> list[str]:
    """Segment normalised ``text`` into words; punctuation and whitespace are dropped.

    ``hmm=False`` skips jieba's HMM guessing of words missing from its dictionary (they come
    out as single characters), used by the category classifier, whose character n-grams cover
    such words anyway. Both settings run on rjieba, the Rust port of jieba, when it can be
    imported (ADR 0108): without the HMM it gives jieba's words exactly, with it the same
    Chinese words and only ASCII runs kept whole ("baidu.com", "0731-8888"), several times
    faster (benchmarks/triage_duplicates.py); jieba itself is the fallback."""
    text = normalize(text)
    if not text:
        return []
    cut = _rjieba_cut()
    words = cut(text, hmm) if cut is not None else tokenizer().lcut(text, HMM=hmm)
    return list(filter(_TOKEN_KEEP.search, words))


def read_tokens(tokens: str | None) -> list[str]:
    """Read pre-segmented text (words separated by spaces), normalising each word."""
    if not tokens:
        return []
    return [w for w in normalize(tokens).split(" ") if w and _TOKEN_KEEP.search(w)]


def words(texts: Iterable[str]) -> list[list[str]]:
    """Tokenize many texts."""
    return [tokenize(t) for t in texts]
