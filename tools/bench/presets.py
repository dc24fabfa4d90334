"""Benchmark sizes. Ratios are fixed so that every page sees the same shape at every size."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    proposals: int
    comments: int
    supports: int
    people: int
    consultations: int = 20
    meetings: int = 60
    #: People kept free of supports and answers, for the write benchmark.
    writers: int = 2000

    @property
    def residents(self) -> int:
        """People who already took part (the rest are ``writers``)."""
        return self.people - self.writers


PRESETS = {
    "tiny": Preset("tiny", proposals=50, comments=250, supports=400, people=80, consultations=4,
                   meetings=6, writers=20),
    "small": Preset("small", proposals=1_000, comments=5_000, supports=10_000, people=2_500,
                    writers=1_000),
    "medium": Preset("medium", proposals=10_000, comments=50_000, supports=100_000, people=7_000),
    "large": Preset("large", proposals=100_000, comments=500_000, supports=1_000_000, people=50_000),
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError as exc:
        raise SystemExit(f"unknown size {name!r}; use one of {', '.join(PRESETS)}") from exc
