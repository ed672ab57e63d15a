"""Sentences about figures, checked against the figures' own data (issue 16, item 5).

Every figure's sidecar (``NAME_<width>.json``) carries ``series``: the calendar-year means of each line it draws
on a time axis (:func:`sim.plots.style.figure_series`). A **claim** names a sentence fragment of a document, the
figure and line it describes, and what it says (:class:`Claim`): a direction between two years (``rises``,
``falls``, ``flat``), a level in a year or a peak year. :func:`check_claim` returns the problems (empty when the
data bear the sentence out); :func:`trend_sentences` finds the sentences of a text that use a trend word, so a
test can demand that each of them is covered by a claim (a new "increasingly" without data behind it fails).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TREND_WORDS", "Claim", "check_claim", "direction", "load_series", "trend_sentences"]

TREND_WORDS = ("increasingly", "decreasingly", "rising", "falling", "rises", "falls", "grows", "shrinks",
               "declines", "peaks", "widens", "narrows", "settles")
"""Words that state a trend over time; a caption sentence using one must be covered by a checked claim."""
RISING_WORDS = ("increasingly", "rising", "rises", "grows", "widens")
FALLING_WORDS = ("decreasingly", "falling", "falls", "shrinks", "declines", "narrows")


def direction(series: dict[str, float], y0: int, y1: int, tol: float = 0.0) -> str:
    """``"rises"``, ``"falls"`` or ``"flat"``: the sign of ``series[y1] - series[y0]`` beyond ``tol``.
    Raises KeyError for a year the series does not have."""
    d = float(series[str(y1)]) - float(series[str(y0)])
    return "rises" if d > tol else "falls" if d < -tol else "flat"


@dataclass
class Claim:
    """A checked sentence fragment.

    doc: the document (relative to the repository root); text: a fragment that must appear in it (whitespace
    normalised); figure: the sidecar JSON (relative path); panel, line: the series (panel title, line label);
    trend: ``(word, y0, y1)`` with word one of :data:`TREND_WORDS` (rising words must rise, falling words
    must fall between the two years, ``settles``/``flat`` must move by at most ``tol``); levels: ``{year:
    (lo, hi)}`` bounds of the year's value; peak: ``(years, lo, hi)``: the series' maximum falls in one of
    ``years`` and lies in ``[lo, hi]``; tol: the dead band of a direction (units of the series)."""

    doc: str
    text: str
    figure: str
    panel: str
    line: str = "median"
    trend: tuple[str, int, int] | None = None
    levels: dict[int, tuple[float, float]] = field(default_factory=dict)
    peak: tuple[Sequence[int], float, float] | None = None
    tol: float = 0.0


def load_series(sidecar: str | Path) -> dict[str, dict[str, dict[str, float]]]:
    """The ``series`` of a figure sidecar; raises ValueError naming the file when it has none (a figure drawn
    before sidecars carried their data: redraw it)."""
    data = json.loads(Path(sidecar).read_text(encoding="utf-8"))
    if "series" not in data:
        raise ValueError(f"{sidecar}: no 'series' (drawn before sidecars carried the figure's data: redraw it with "
                         "aieco figures / scripts/make_figures.sh)")
    return data["series"]


def _norm(text: str) -> str:
    return " ".join(text.split())


def check_claim(claim: Claim, root: str | Path = ".", series: dict | None = None) -> list[str]:
    """Problems with ``claim`` (empty: the sentence is there and the data bear it out). ``series``: the figure's
    series (default: read from ``root / claim.figure``)."""
    root = Path(root)
    where = f"{claim.doc}: '{claim.text}'"
    doc = _norm((root / claim.doc).read_text(encoding="utf-8"))
    if _norm(claim.text) not in doc:
        return [f"{where}: the sentence is no longer in the document (update the claim)"]
    if series is None:
        try:
            series = load_series(root / claim.figure)
        except (OSError, ValueError) as e:
            return [f"{where}: {e}"]
    s = series.get(claim.panel, {}).get(claim.line)
    if s is None:
        return [f"{where}: {claim.figure} has no line '{claim.line}' in panel '{claim.panel}'"]
    problems = []
    if claim.trend is not None:
        word, y0, y1 = claim.trend
        got = direction(s, y0, y1, claim.tol)
        want = ("rises" if word in RISING_WORDS else "falls" if word in FALLING_WORDS else "flat")
        if got != want:
            problems.append(f"{where}: says '{word}' from {y0} to {y1}, but the figure's series {got} "
                            f"({float(s[str(y0)]):.3g} -> {float(s[str(y1)]):.3g})")
    for y, (lo, hi) in claim.levels.items():
        v = float(s[str(y)])
        if not lo <= v <= hi:
            problems.append(f"{where}: {y} value {v:.3g} outside the stated [{lo:g}, {hi:g}]")
    if claim.peak is not None:
        years, lo, hi = claim.peak
        y_max = max(s, key=lambda k: float(s[k]))
        v = float(s[y_max])
        if int(y_max) not in set(years) or not lo <= v <= hi:
            problems.append(f"{where}: the series peaks in {y_max} at {v:.3g}, not in {list(years)} within "
                            f"[{lo:g}, {hi:g}]")
    return problems


def trend_sentences(text: str, words: Sequence[str] = TREND_WORDS) -> list[str]:
    """The sentences of ``text`` (whitespace normalised, split at '. ', ': ' and '; ') that use one of ``words``
    as a whole word."""
    pat = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    parts = re.split(r"(?<=[.;:])\s+", _norm(text))
    return [p for p in parts if pat.search(p)]
