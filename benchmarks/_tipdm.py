"""The fixed TipDM held-out split the classifier benchmarks share (``datasets.heldout_split``)."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks._report import SHARED_DATA
from fengqiao.triage.datasets import Table, decontaminate, heldout_split, load_tipdm


@dataclass
class HeldOut:
    raw: Table
    extra: Table
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]

    def extra_without(self, texts: list[str]) -> tuple[list[str], list[str]]:
        """The segmented extra rows (texts, labels) minus those near any of ``texts`` (TF-IDF
        cosine > 0.5): re-posts of a message that is scored would leak its label."""
        keep = decontaminate(self.extra.texts, texts)
        return [self.extra.texts[i] for i in keep], [self.extra.labels[i] for i in keep]


def load() -> HeldOut | None:
    """The split, or ``None`` (with a message) when ``../shared/data`` is absent."""
    if not (SHARED_DATA / "tipdm2020_messages_train.csv").exists():
        print(f"no data at {SHARED_DATA}; skipped")
        return None
    raw, extra = load_tipdm(SHARED_DATA)
    tr, te = heldout_split(raw.labels)
    return HeldOut(
        raw,
        extra,
        [raw.texts[i] for i in tr],
        [raw.labels[i] for i in tr],
        [raw.texts[i] for i in te],
        [raw.labels[i] for i in te],
    )
