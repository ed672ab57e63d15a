"""README's and figures/README.md's sentences about trends, checked against the figures' own data (the series
in the figure sidecars, sim.plots.style.figure_series), and the checker itself (sim.analysis.claims)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from sim.analysis.claims import Claim, check_claim, direction, trend_sentences

FAN = "figures/baseline/headline_fan_double.json"
CN_OPEN = "Open-weight share of Chinese labs"
US_OPEN = "Open-weight share of US labs"
LAG = "Open models' lag behind closed"
GAP = "China's lag behind the US"
NONCN = "Non-Chinese developers on Chinese open models"

CLAIMS = [
    Claim("README.md", "share of Chinese labs rises from about 0.5-0.6 in 2023-2024 to 0.87 in 2025 and 1 from 2026",
          FAN, CN_OPEN, trend=("rises", 2023, 2026),
          levels={2023: (0.45, 0.65), 2024: (0.5, 0.65), 2025: (0.8, 0.93), 2026: (0.95, 1.0)}),
    Claim("README.md", "the US labs' stays about 0.4 from 2022 to 2030", FAN, US_OPEN,
          levels={y: (0.34, 0.45) for y in range(2022, 2031)}),
    Claim("README.md", "open models trail the closed frontier by about 5.5-6.5 months in 2023-2025", FAN, LAG,
          levels={y: (5.0, 7.0) for y in (2023, 2024, 2025)}),
    Claim("README.md", "and the lag grows to about 15 months by 2029-2030", FAN, LAG, trend=("grows", 2025, 2030),
          levels={2029: (13.0, 17.0), 2030: (13.0, 17.0)}),
    Claim("README.md", "China's lag behind the US grows from about 4-5 months in 2023-2025 to about 14 by 2029-2030",
          FAN, GAP, trend=("grows", 2024, 2030), levels={2023: (3.0, 6.0), 2024: (3.0, 6.0), 2025: (3.0, 6.0),
                                                         2029: (12.0, 16.0), 2030: (12.0, 16.0)}),
    Claim("README.md", "rises from about 0.07 in 2023 to 0.21 in 2025,", FAN, NONCN,
          trend=("rises", 2023, 2025), levels={2023: (0.05, 0.09), 2025: (0.19, 0.24)}),
    Claim("README.md", "and falls to about 0.17 by 2030", FAN, NONCN, trend=("falls", 2025, 2030),
          peak=((2025, 2026), 0.2, 0.25), levels={2030: (0.15, 0.19)}),
]
"""Every trend sentence of the README's headline caption and of figures/README.md, with what it claims."""

CAPTION_START = "*The baseline ("


def headline_caption() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    i = text.index(CAPTION_START)
    return text[i:text.index("*\n", i + 1)]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.text[:40])
def test_claim_holds_on_the_figures_data(claim):
    assert check_claim(claim, ROOT) == []


def test_every_trend_sentence_is_a_checked_claim():
    """A caption sentence with a trend word ("increasingly", "rises", "falls", ...) must be covered by a claim
    above, so no trend is stated without the figure's data behind it."""
    texts = {"README.md headline caption": headline_caption(),
             "figures/README.md": (ROOT / "figures" / "README.md").read_text(encoding="utf-8")}
    uncovered = []
    for where, text in texts.items():
        for sentence in trend_sentences(text):
            if not any(" ".join(c.text.split()) in sentence for c in CLAIMS):
                uncovered.append(f"{where}: {sentence[:160]}")
    assert uncovered == []


def test_increasingly_over_a_falling_series_fails(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("Developers outside China increasingly build on Chinese open models.\n", encoding="utf-8")
    series = {NONCN: {"median": {"2024": 0.12, "2025": 0.10, "2030": 0.05}}}
    claim = Claim("README.md", "increasingly build on Chinese open models", FAN, NONCN,
                  trend=("increasingly", 2025, 2030))
    problems = check_claim(claim, tmp_path, series)
    assert len(problems) == 1 and "says 'increasingly' from 2025 to 2030" in problems[0] and "falls" in problems[0]
    rising = {NONCN: {"median": {"2025": 0.05, "2030": 0.12}}}
    assert check_claim(claim, tmp_path, rising) == []


def test_checker_reports_missing_sentence_level_and_peak(tmp_path):
    (tmp_path / "README.md").write_text("The lag peaks near 10 in 2025.\n", encoding="utf-8")
    s = {GAP: {"median": {"2024": 6.0, "2025": 9.0, "2026": 12.0}}}
    assert "no longer in the document" in check_claim(Claim("README.md", "gone", FAN, GAP), tmp_path, s)[0]
    p = check_claim(Claim("README.md", "peaks near 10 in 2025", FAN, GAP, peak=((2025,), 8, 11)), tmp_path, s)
    assert len(p) == 1 and "peaks in 2026" in p[0]
    p = check_claim(Claim("README.md", "peaks near 10", FAN, GAP, levels={2024: (7, 8)}), tmp_path, s)
    assert "2024 value 6 outside" in p[0]
    assert "no line" in check_claim(Claim("README.md", "peaks", FAN, "nope"), tmp_path, s)[0]


def test_direction_and_sentences():
    s = {"2022": 1.0, "2023": 1.05, "2024": 2.0}
    assert direction(s, 2022, 2024) == "rises" and direction(s, 2024, 2022) == "falls"
    assert direction(s, 2022, 2023, tol=0.1) == "flat"
    got = trend_sentences("It rises. It is flat; it grows: done. Nothing here.")
    assert got == ["It rises.", "it grows:"]
    assert not trend_sentences("uprising and groundswell")  # whole words only
    assert re.search("increasingly", " ".join(trend_sentences("They increasingly do.")))


def test_no_line_calls_the_model_calibrated_unless_negated():
    """README.md and figures/README.md may name calibrated.toml or the command, but not call the model
    calibrated: its patterns fail under the strict verdicts (issue 16)."""
    bad = []
    for doc in ("README.md", "figures/README.md"):
        for k, line in enumerate((ROOT / doc).read_text(encoding="utf-8").splitlines(), 1):
            for m in re.finditer(r"\bcalibrated\b(?!\.toml)", line, re.IGNORECASE):
                if not re.search(r"\bnot (a )?$", line[:m.start()]):
                    bad.append(f"{doc}:{k}: {line.strip()[:120]}")
    assert bad == []


@pytest.mark.slow
def test_readme_names_the_failing_patterns_of_the_baseline():
    """The README's caption lists the patterns that fail under `aieco validate` (20 replications)."""
    from sim.analysis.validation import validate
    from sim.scenario.schema import load_scenario

    m = re.search(r"strict verdicts of\s+`aieco validate` ([P0-9, and]+) fail", headline_caption())
    assert m, "the caption no longer names the failing patterns"
    named = set(re.findall(r"P\d", m.group(1)))
    v = validate(load_scenario(ROOT / "scenarios" / "baseline.toml"), 20).verdicts
    assert named == set(v.loc[~v["passed"], "pattern"])
