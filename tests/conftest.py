"""Shared fixtures: a small, fast scenario on the stylised archetype roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.schema import Scenario, load_scenario, with_values

ROOT = Path(__file__).resolve().parents[1]
ARCHETYPES = ROOT / "data" / "roster_archetypes.csv"
BASELINE = ROOT / "scenarios" / "baseline.toml"

TINY_SET = f"""
[set]
months = 24
developers.n = 200
developers.payoff_sample = 100
events = []
roster = "{ARCHETYPES}"
"""
"""The ``[set]`` table of a test experiment spec: the baseline cut to 24 months, 200 developers and the
archetype roster, without dated events (a run takes ~20 ms)."""


def small(scenario: Scenario | None = None, **values) -> Scenario:
    """``scenario`` with dotted-path ``values`` set; without a scenario, a quick one independent of the
    calibration: schema defaults with the baseline's standing policies (US leakage 0.25, China's ban on
    foreign closed APIs, 10% subsidy), the archetype roster, 1,000 developers, 60 months, no dated events."""
    if scenario is None:
        scenario = with_values(Scenario(), {
            "roster": str(ARCHETYPES), "developers.n": 1000, "months": 60, "governments.US.leakage": 0.25,
            "governments.CN.ban_foreign_closed": True, "governments.CN.subsidy_rate": 0.1})
    return with_values(scenario, values)


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture()
def small_scenario() -> Scenario:
    return small()


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory):
    """``run(path)``: the notebook at ``path`` executed top to bottom (nbclient, in its own folder), once per
    session: tests/test_notebooks.py checks the runs and tests/test_docs_site.py renders the same executed
    copies into the documentation site, so CI runs each notebook once. A failed run raises again for every
    caller. The executed copies are also saved under the session's temporary folder."""
    import nbformat
    from nbclient import NotebookClient

    out = tmp_path_factory.mktemp("executed_notebooks")
    runs: dict[Path, object] = {}

    def run(path: Path):
        path = Path(path).resolve()
        if path not in runs:
            nb = nbformat.read(path, as_version=4)
            try:
                NotebookClient(nb, timeout=600, kernel_name="python3",
                               resources={"metadata": {"path": str(path.parent)}}).execute()
                nbformat.write(nb, out / path.name)
                runs[path] = nb
            except Exception as exc:  # noqa: BLE001 - re-raised for every test that needs this notebook
                runs[path] = exc
        result = runs[path]
        if isinstance(result, Exception):
            raise result
        return nbformat.from_dict(result)  # a copy: callers may change it

    return run
