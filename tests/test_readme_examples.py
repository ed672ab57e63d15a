"""The README's examples select what they claim (issue 30): its scenario-discovery condition must pick some runs
of the sweep it names and not most of them, so it cannot drift silently when the model changes."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_conditions() -> list[tuple[str, str]]:
    """(sweep folder name, condition) of every ``aieco discover results/sweeps/<name> --where "..."`` line of the
    README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r'aieco discover results/sweeps/(\w+) --where "([^"]+)"', text)


def test_the_readme_has_a_discovery_example():
    found = readme_conditions()
    assert found and all(name == "discovery_lhs" for name, _ in found)


@pytest.mark.slow
def test_readme_discovery_condition_selects_between_5_and_50_percent(tmp_path):
    """A 40-run Latin hypercube of the spec the README names (same levers, ranges and settings; fewer samples):
    the README's condition holds in 5% to 50% of the runs."""
    from sim.analysis.discovery import evaluate_condition
    from sim.analysis.sweep import load_results, load_spec, run_sweep

    spec = load_spec(ROOT / "experiments" / "discovery_lhs.toml")
    spec = dataclasses.replace(spec, samples=40)
    run_sweep(spec, tmp_path / "sweep", executor="serial", progress=False)
    df = load_results(tmp_path / "sweep")
    assert len(df) == 40
    for _, where in set(readme_conditions()):
        share = float(evaluate_condition(df, where, list(spec.metrics)).mean())
        assert 0.05 <= share <= 0.5, f"README's condition {where!r} selects {share:.0%} of a 40-run sweep"
