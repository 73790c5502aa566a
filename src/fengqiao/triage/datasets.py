"""Reading training/evaluation tables and the fixed TipDM evaluation split (pure, no Django)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fengqiao.core.sheets import SheetRow, read_sheet

from .text import join_fields, normalize, read_tokens, tokenize

__all__ = [
    "DataError",
    "Table",
    "decontaminate",
    "heldout_split",
    "load_tipdm",
    "read_table",
    "shared_data_dir",
]

SPLIT_SEED = 42
HELDOUT_FRACTION = 0.2
TIPDM_TRAIN = "tipdm2020_messages_train.csv"
TIPDM_EXTRA = "tipdm2020_messages_extra_segmented.csv"
TIPDM_HOT = "tipdm2020_hot_messages.csv"


class DataError(ValueError):
    """A data file cannot be used; the message is one line, in Chinese and English."""


@dataclass
class Table:
    """Rows of one input file. ``texts`` holds raw text (title+body joined) or, when the file is
    pre-segmented (a ``tokens`` column), the token strings with ``pretokenized`` set."""

    path: str
    texts: list[str]
    labels: list[str] | None
    ids: list[str] | None
    times: list[str] | None
    pretokenized: bool
    #: the ``title_column`` of each row (normalised) when one was asked for, else ``None``
    titles: list[str] | None = None
    #: rows left out and why (``empty_label``, ``empty_text``), for the commands to report
    skipped: dict[str, int] | None = None
    #: each row's number as a spreadsheet shows it (aligned with ``texts``; blank rows count, see
    #: :class:`~fengqiao.core.sheets.SheetRow`), for messages that name a row
    rows: list[int] | None = None
    #: the CSV text line each row starts on (0 for Excel); not the row number below a multi-line cell
    lines: list[int] | None = None

    def where(self, index: int) -> tuple[str, str]:
        """Where the row at ``index`` is in the file, in Chinese and English (``第 5 行`` /
        ``row 5``), with the text line it starts on when that is another number."""
        if self.rows is None:  # a Table not read from a file
            return f"第 {index + 1} 条数据", f"data row {index + 1}"
        number, line = self.rows[index], self.lines[index] if self.lines else 0
        if line and line != number:
            return f"第 {number} 行(文本第 {line} 行起)", f"row {number} (starts on text line {line})"
        return f"第 {number} 行", f"row {number}"


def shared_data_dir() -> Path:
    """``<repo>/../shared/data`` (or ``$FENGQIAO_SHARED_DATA``)."""
    env = os.environ.get("FENGQIAO_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def _read_rows(path: Path) -> tuple[list[str], list[SheetRow], list[dict]]:
    """The header, the rows as :func:`~fengqiao.core.sheets.read_sheet` gives them (blank rows
    left out) and the same rows as dicts; a file that cannot be read is a :class:`DataError`."""
    if not path.is_file():
        raise DataError(f"文件不存在 / file not found: {path}")
    from fengqiao.core.errors import UserError

    try:
        header, rows = read_sheet(path)
    except UserError as exc:
        raise DataError(f"{exc.zh} / {exc.en}") from exc
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:  # the last column of a name would silently win
        raise DataError(f"列名重复 / duplicate column name(s) {', '.join(twice)} in {path}")
    width = len(header)  # a short row has empty cells at its end, not missing ones
    for r in rows:  # a longer one has shifted cells (an unquoted comma in a text): never guess
        if len(r.cells) > width and any(c.strip() for c in r.cells[width:]):
            where = f"第 {r.number} 行" + (f"(文本第 {r.line} 行起)" if r.line and r.line != r.number else "")
            raise DataError(f"{where}有 {len(r.cells)} 个单元格,表头只有 {width} 列(文本里的逗号要加引号)/ row "
                            f"{r.number} has {len(r.cells)} cells but the header has {width} (quote a text that "
                            f"holds a comma) in {path}")
    return header, rows, [dict(zip(header, r.cells + [""] * (width - len(r.cells)), strict=False)) for r in rows]


def read_table(
    path: str | Path,
    *,
    text_columns: Sequence[str] = ("title", "body"),
    label_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    title_column: str | None = None,
    allow_tokens: bool = True,
    require_time: bool = False,
) -> Table:
    """Read a CSV (UTF-8 or GB18030; comma- or tab-separated) or .xlsx file (its first sheet)
    through :func:`~fengqiao.core.sheets.read_sheet`: cells are stripped, blank rows left out.
    A file with a ``tokens`` column and none of the text columns is read as pre-segmented text (when
    ``allow_tokens``). ``title_column``, a column kept apart from the text (same-matter
    detection weighs title words double), is read into ``titles``. ``time_column`` is read when the
    file has it, and must be there with ``require_time``. A row with more non-empty cells than
    the header is refused: its cells have shifted (an unquoted comma in a text)."""
    path = Path(path)
    header, sources, rows = _read_rows(path)
    cols = set(header)
    if not rows:
        raise DataError(f"文件没有数据行 / no data rows in {path}")
    pretok = allow_tokens and "tokens" in cols and not any(c in cols for c in text_columns)
    needed = ["tokens"] if pretok else list(text_columns)
    for c in (label_column, id_column, None if pretok else title_column, time_column if require_time else None):
        if c:
            needed.append(c)
    missing = [c for c in needed if c not in cols]
    if missing:
        raise DataError(
            f"缺少列 / missing column(s) {', '.join(missing)} in {path} "
            f"(有 / has: {', '.join(header)})"
        )
    if pretok:
        texts = [r["tokens"] for r in rows]
    else:
        texts = [join_fields(*(r.get(c, "") for c in text_columns)) for r in rows]
    labels = [r[label_column].strip() for r in rows] if label_column else None
    ids = [r[id_column].strip() for r in rows] if id_column else None
    times = [r.get(time_column, "") for r in rows] if time_column and time_column in cols else None
    titles = [normalize(r[title_column]) for r in rows] if title_column and not pretok else None
    skipped = {}
    if labels is not None:
        keep = [i for i, lab in enumerate(labels) if lab and texts[i].strip()]
        skipped = {"empty_label": sum(1 for lab in labels if not lab),
                   "empty_text": sum(1 for i, lab in enumerate(labels) if lab and not texts[i].strip())}
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
        ids = [ids[i] for i in keep] if ids else None
        times = [times[i] for i in keep] if times else None
        titles = [titles[i] for i in keep] if titles else None
        sources = [sources[i] for i in keep]
        if not texts:
            raise DataError(f"没有带标签的文本 / no labelled text rows in {path}")
    return Table(str(path), texts, labels, ids, times, pretok, titles, {k: v for k, v in skipped.items() if v},
                 rows=[r.number for r in sources], lines=[r.line for r in sources])


def heldout_split(
    labels: Sequence[str], fraction: float = HELDOUT_FRACTION, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """The fixed stratified split (train indices, held-out indices) used by tests and
    benchmarks. The held-out part is never used for training or tuning."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=fraction, stratify=list(labels), random_state=seed)
    return np.sort(tr), np.sort(te)


def decontaminate(
    extra_tokens: Sequence[str], eval_texts: Sequence[str], threshold: float = 0.5
) -> np.ndarray:
    """Indices of ``extra_tokens`` rows whose TF-IDF cosine to every ``eval_texts`` message is at
    most ``threshold``. The segmented TipDM file overlaps the raw one (the same or re-posted
    messages); rows near a held-out message are dropped so they cannot leak its label."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    ew = [" ".join(read_tokens(t)) for t in extra_tokens]
    rw = [" ".join(tokenize(t)) for t in eval_texts]
    vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
    vec.fit(ew + rw)
    a, b = vec.transform(ew), vec.transform(rw)
    best = np.zeros(len(ew))
    step = 2000
    for s in range(0, len(ew), step):
        sims = (a[s : s + step] @ b.T).max(axis=1)
        best[s : s + step] = sims.toarray().ravel()
    return np.where(best <= threshold)[0]


def load_tipdm(data_dir: str | Path | None = None) -> tuple[Table, Table]:
    """The raw labelled TipDM messages and the pre-segmented extra file."""
    d = Path(data_dir) if data_dir else shared_data_dir()
    raw = read_table(
        d / TIPDM_TRAIN, text_columns=("title", "body"), label_column="label", id_column="id"
    )
    extra = read_table(d / TIPDM_EXTRA, label_column="label")
    return raw, extra
