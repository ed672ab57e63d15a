"""Write the notebooks in experiments/ from the cell sources below (outputs stripped).

Run:  python scripts/make_notebooks.py
Editing the notebooks in Jupyter is fine too; `python scripts/strip_notebooks.py` (or
`jupyter nbconvert --clear-output`) strips outputs before committing.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, tags: tuple[str, ...] = ()):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


QUICKSTART = [
    md("""
# 1. Quick start: load a scenario, change a parameter, run replications, plot

This notebook uses only aieco's Python API. The parameter cell below sets the size: the defaults run in
seconds (as in CI); raise `REPLICATIONS` and `DEVELOPERS` for a paper.
"""),
    code("""
# Parameters: small by default (CI); for a paper use e.g. REPLICATIONS = 50, DEVELOPERS = 5000, MONTHS = 108
REPLICATIONS = 4
DEVELOPERS = 1000
MONTHS = 60
""", tags=("parameters",)),
    code("""
from pathlib import Path

import aieco_paths  # noqa: F401  (finds the repository root when run from experiments/)
from sim.scenario import load_scenario, with_values, with_horizon
from sim.runs import run_replications
from sim.metrics import HEADLINE_METRICS, SUMMARY_METRICS
from sim.plots.run import fig_open_share, fig_frontier

ROOT = aieco_paths.ROOT
baseline = load_scenario(ROOT / "scenarios" / "baseline.toml")
baseline = with_horizon(with_values(baseline, {"developers.n": DEVELOPERS}), MONTHS)
print(baseline.description)
"""),
    md("""
## Change a parameter

Any field of the scenario can be set by its dotted path; the new value is checked against the schema
(unit, range) exactly as in a scenario file. Here: controls that leak far more (60% of controlled demand
still gets frontier chips, against 25% in the baseline).
"""),
    code("""
leaky = with_values(baseline, {"governments.US.leakage": 0.6, "name": "leaky"})
base_runs = run_replications(baseline, REPLICATIONS)
leaky_runs = run_replications(leaky, REPLICATIONS)  # same base seed: common random numbers
base_runs.summary[list(HEADLINE_METRICS)].describe().loc[["mean", "min", "max"]]
"""),
    code("""
import pandas as pd

diff = (leaky_runs.summary[list(HEADLINE_METRICS)] - base_runs.summary[list(HEADLINE_METRICS)])
pd.DataFrame({"baseline median": base_runs.summary[list(HEADLINE_METRICS)].median(),
              "leaky median": leaky_runs.summary[list(HEADLINE_METRICS)].median(),
              "paired difference (median)": diff.median(),
              "unit": [SUMMARY_METRICS[m][0] for m in HEADLINE_METRICS]})
"""),
    md("""
## Plot

The figure functions take the stacked time-series table (one row per replication and month) and return a
matplotlib Figure in the project's style: median and 50%/90% bands across replications.
"""),
    code("""
fig = fig_open_share(base_runs.timeseries, "baseline")
fig
"""),
    code("""
fig = fig_frontier(leaky_runs.timeseries, "leaky controls")
fig
"""),
]


VALIDATION = [
    md("""
# 4. The model against Epoch AI's data, pattern by pattern

Before the model is used for counterfactuals it must reproduce what happened (pattern-oriented modelling,
`docs/ODD.md` §1). The targets are tables the project derives from Epoch AI's *Data on AI Models* (CC BY 4.0)
with `aieco data targets`; they are committed in `data/targets/`. This notebook runs the calibrated baseline
with replications and compares:

- **P1** the open-weight share of releases, China vs the US, per year;
- **P2** the lag of the best open model behind the best closed one, in training compute (months);
- **P3** the growth of frontier training compute (x per year).

2022-2024 were used for calibration (`aieco calibrate`); **2025 is held out**.
"""),
    code("""
# Parameters: small by default (CI); for a paper use REPLICATIONS = 50 and DEVELOPERS = 5000
REPLICATIONS = 4
DEVELOPERS = 1000
""", tags=("parameters",)),
    code("""
import aieco_paths  # noqa: F401
import pandas as pd
from sim.scenario import load_scenario, with_values
from sim.validation import validate, load_targets, fig_p1, fig_p2, fig_p3, tolerance_text

ROOT = aieco_paths.ROOT
scenario = with_values(load_scenario(ROOT / "scenarios" / "baseline.toml"), {"developers.n": DEVELOPERS})
targets = load_targets(ROOT / "data" / "targets")
result = validate(scenario, replications=REPLICATIONS, targets=targets)
result.verdicts
"""),
    md("""
## P1: open-weight share of releases

Each row: the simulated median and 5-95% interval across replications, the replication mean (what is tested)
and the empirical share with its 90% Wilson interval. With a dozen labs per region releasing about once a
year, one release moves a share by 0.2-0.3, so levels are tested against the empirical interval widened by
0.10; the criteria (China above the US, the gap widening) are the pattern itself.
"""),
    code("""
cols = ["item", "role", "sim_median", "sim_lo", "sim_hi", "sim_mean", "empirical", "emp_lo", "emp_hi", "passed"]
result.table[result.table.pattern == "P1"][cols].round(2)
"""),
    code("""
fig_p1(result.stats, targets, scenario.name)
"""),
    md("""
## P2: how far open models trail

Simulated: months by which the largest open release so far trails the largest closed one in training compute
(the quantity in Epoch's lag table); the capability lag (effective compute, with distillation) is drawn dashed.
"""),
    code("""
result.table[result.table.pattern == "P2"][cols].round(1)
"""),
    code("""
fig_p2(result.replications.timeseries, targets, scenario.name)
"""),
    md("""
## P3: frontier training compute growth
"""),
    code("""
result.table[result.table.pattern == "P3"][cols].round(2)
"""),
    code("""
fig_p3(result.replications.timeseries, result.stats, targets, scenario.name)
"""),
    code("""
for pattern, text in tolerance_text(targets).items():
    print(pattern, ":", text)
"""),
]


def write(name: str, cells) -> None:
    for k, cell in enumerate(cells):  # stable ids: regenerating a notebook changes only what changed
        cell.id = f"{Path(name).stem[:2]}-{k:02d}"
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"},
                                             "language_info": {"name": "python"}})
    path = ROOT / "experiments" / name
    nbformat.write(nb, path)
    print("wrote", path)


if __name__ == "__main__":
    write("01_quickstart.ipynb", QUICKSTART)
    write("04_validation.ipynb", VALIDATION)
