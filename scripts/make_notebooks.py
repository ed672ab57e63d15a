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
from sim import run_replications
from sim.model import HEADLINE_METRICS, SUMMARY_METRICS
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
fig = fig_open_share(base_runs.timeseries, "baseline")  # shown once, by the inline backend
"""),
    code("""
fig = fig_frontier(leaky_runs.timeseries, "leaky controls")
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
from sim.analysis.validation import validate, load_targets, tolerance_text
from sim.plots.validation import fig_p1, fig_p2, fig_p3

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
fig_p1(result.stats, targets, scenario.name);
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
fig_p2(result.replications.timeseries, targets, scenario.name);
"""),
    md("""
## P3: frontier training compute growth
"""),
    code("""
result.table[result.table.pattern == "P3"][cols].round(2)
"""),
    code("""
fig_p3(result.replications.timeseries, result.stats, targets, scenario.name);
"""),
    code("""
for pattern, text in tolerance_text(targets).items():
    print(pattern, ":", text)
"""),
]


SWEEP = [
    md("""
# 2. Export controls: strictness x leakage

How much do US chip controls on China change China's open-weight share, the use of Chinese open models
outside China and the US-China gap — and how much of that does leakage (smuggling, overseas cloud access,
stockpiles) undo? This notebook runs the grid `experiments/export_controls_grid.toml` (6 x 6 levels, from the
first BIS rule of October 2022 to the horizon), loads the results as one DataFrame and draws the heatmap and
slices. The default size is small (CI); the paper size is the spec's 20 replications on all cores:
`REPLICATIONS = 20`, `DEVELOPERS = 5000`, `MONTHS = 108`, `EXECUTOR = "processes"`.
"""),
    code("""
# Parameters: small by default (CI)
REPLICATIONS = 1
DEVELOPERS = 500
MONTHS = 60
EXECUTOR = "serial"      # "processes" (all cores) or "dask"
WORKERS = None
""", tags=("parameters",)),
    code("""
import tempfile
from pathlib import Path

import aieco_paths  # noqa: F401
import sim
from sim.analysis.sweep import load_spec, run_sweep
from sim.plots.sweep import fig_heatmap, fig_slices

ROOT = aieco_paths.ROOT
spec = load_spec(ROOT / "experiments" / "export_controls_grid.toml", replications=REPLICATIONS,
                 sets=[f"developers.n={DEVELOPERS}", f"months={MONTHS}"])
out = Path(tempfile.mkdtemp()) / "export_controls_grid"
outcome = run_sweep(spec, out, executor=EXECUTOR, workers=WORKERS, progress=False)
print(outcome.ok, "runs done,", outcome.failed, "failed, in", out)
"""),
    md("""
## The results as a DataFrame

One row per run: the design point, the replication and its seed, the two factors, every summary metric,
and the run's status. Failed runs (if any) are kept with their error.
"""),
    code("""
df = sim.load_results(out)
df.head()
"""),
    code("""
metrics = ["open_share_CN_mean12", "noncn_on_cn_open_mean12", "us_cn_gap_months_mean12"]
df.groupby(["export_control_CN", "leakage"])[metrics].mean().unstack("leakage").round(2)
"""),
    md("""
## China's open-weight share over strictness x leakage

Each cell is the mean over replications; the contour lines come from a quadratic response surface fitted to
all runs, so they smooth the replication noise; the star marks the baseline's 2024 setting (strictness 0.9,
leakage 0.25). Read along a row (fixed leakage) to see the effect of strictness, along a column to see how
leakage erodes it.
"""),
    code("""
fig_heatmap(df, "export_control_CN", "leakage", "open_share_CN_mean12",
            baseline={"export_control_CN": 0.9, "leakage": 0.25});
"""),
    md("""
## Slices

The US-China gap along strictness at a few leakage levels (and the reverse), with the spread across
replications: with one replication per point (CI size) the lines are noisy; at 20 replications the bands
show how much of a difference is signal.
"""),
    code("""
fig_slices(df, "export_control_CN", "leakage", "us_cn_gap_months_mean12");
"""),
]

SENSITIVITY = [
    md("""
# 3. Which assumptions drive the results? Sobol' indices with a convergence check

A small global sensitivity analysis of the model: four uncertain parameters drawn from their plausible
ranges (schema metadata, `docs/parameters.md`), Saltelli sampling, and Sobol' first-order (S1) and total
(ST) indices with bootstrap intervals, through the same sweep runner and result store as `aieco sweep`. The
full analysis is `experiments/sobol_baseline.toml` (10 parameters, N = 512):
`aieco sensitivity experiments/sobol_baseline.toml --workers 2`. `docs/sensitivity.md` explains how to read
the indices.
"""),
    code("""
# Parameters: small by default (CI). For a paper: SAMPLES = 512 (a power of 2), DEVELOPERS = 5000, MONTHS = 108
SAMPLES = 16
DEVELOPERS = 500
MONTHS = 48
EXECUTOR = "serial"
""", tags=("parameters",)),
    md("""
## First, the method on a function whose answer is known

The Ishigami function (a = 7, b = 0.1) has analytic indices; it runs through exactly the same code path
(spec, design, store, analysis) as the model.
"""),
    code("""
import tempfile
from pathlib import Path

import aieco_paths  # noqa: F401
from sim.analysis.sensitivity import Options, compare_analytic, load_sensitivity_spec, run_sensitivity
from sim.analysis.testfunctions import ishigami_indices
from sim.plots.sensitivity import fig_convergence, fig_sobol

ROOT = aieco_paths.ROOT
tmp = Path(tempfile.mkdtemp())
ish = load_sensitivity_spec(ROOT / "experiments" / "ishigami.toml")
run = run_sensitivity(ish, tmp / "ishigami", executor="serial", progress=False)
compare_analytic(run.result.indices, ishigami_indices(), "ishigami").round(3)
"""),
    md("""
## The model

The spec is plain TOML; here it is written from Python so that its size follows the parameter cell.
"""),
    code("""
base = (ROOT / "scenarios" / "baseline.toml").as_posix()
spec_text = f'''
name = "sobol_small"
base = "{base}"
replications = 1
metrics = ["open_share_CN_mean12", "noncn_on_cn_open_mean12", "us_cn_gap_months_mean12"]
set = {{ "developers.n" = {DEVELOPERS}, months = {MONTHS} }}

[design]
kind = "sobol"
samples = {SAMPLES}
calc_second_order = false
seed = 7

[[factors]]
path = "labs.follower_open_value"
range = "plausible"

[[factors]]
path = "developers.w_open_mean"
range = "plausible"

[[factors]]
path = "governments.US.leakage"
range = "plausible"

[[factors]]
path = "chips.production_growth_after_per_year"
range = "plausible"
'''
spec_file = tmp / "sobol_small.toml"
spec_file.write_text(spec_text)
spec = load_sensitivity_spec(spec_file)
model_run = run_sensitivity(spec, tmp / "sobol_small", executor=EXECUTOR, progress=False,
                            options=Options(num_resamples=200, second_opinion="none"))
model_run.result.output_table()
"""),
    code("""
model_run.result.top("open_share_CN_mean12", k=4).round(3)
"""),
    code("""
fig_sobol(model_run.result.indices, "open_share_CN_mean12", model_run.result.output_table());
"""),
    md("""
## Convergence

SALib reports indices at one sample size; whether they have settled is ours to check. The indices are
recomputed at N/8, N/4, N/2 and N: flat lines inside narrow intervals mean converged. At this notebook's CI
size they have not (the table above says so in its verdict column): raise `SAMPLES`.
"""),
    code("""
fig_convergence(model_run.result.convergence, "open_share_CN_mean12", "sobol", model_run.result.output_table());
"""),
]


DISCOVERY = [
    md("""
# 5. Scenario discovery: under which assumptions and policies does an outcome happen?

Sensitivity analysis (notebook 3) says how much each input moves an output. Scenario discovery asks a policy
question instead: *in which region* of the uncertainties and the policy levers does an outcome of interest
happen? A condition on the summary metrics marks each run of a sweep as a case of interest or not; PRIM
(Friedman and Fisher 1999; Bryant and Lempert 2010) peels the box of inputs towards the cases of interest, CART
grows a tree whose leaves are boxes, and extra-trees feature scores give a first ranking of the inputs. The
algorithms are EMA Workbench's (`ema_workbench.analysis`).

The design is `experiments/discovery_lhs.toml`: a Latin hypercube over government levers (`kind = "lever"`:
US export controls on China from 2022-10, compute subsidies, support for open releases) and uncertain
parameters (leakage, algorithmic progress, alternative chips, developers' tastes). The command-line version:
`aieco sweep experiments/discovery_lhs.toml` then
`aieco discover results/sweeps/discovery_lhs --where "us_cn_gap_months_mean12 < 15"`. The default size here is
small (CI); the paper size is the spec's own: `SAMPLES = 400`, `DEVELOPERS = 1000` (or 5000), `MONTHS = 108`.
"""),
    code("""
# Parameters: small by default (CI)
SAMPLES = 60
DEVELOPERS = 300
MONTHS = 48
EXECUTOR = "serial"      # "processes" (all cores) or "dask"
""", tags=("parameters",)),
    code("""
import dataclasses
import tempfile
import warnings
from pathlib import Path

import aieco_paths  # noqa: F401
import sim
from sim.analysis.discovery import Options, discover, load_discovery, write_results
from sim.plots.discovery import fig_box_limits, fig_feature_scores, fig_tradeoff
from sim.analysis.sweep import load_spec, run_sweep

ROOT = aieco_paths.ROOT
with warnings.catch_warnings():  # the shorter horizon drops the baseline's later events (a note)
    warnings.simplefilter("ignore")
    spec = load_spec(ROOT / "experiments" / "discovery_lhs.toml",
                     sets=[f"developers.n={DEVELOPERS}", f"months={MONTHS}"])
spec = dataclasses.replace(spec, samples=SAMPLES)
print([(f.name, f.role) for f in spec.factors])
tmp = Path(tempfile.mkdtemp())
outcome = run_sweep(spec, tmp / "discovery_lhs", executor=EXECUTOR, progress=False)
df = sim.load_results(tmp / "discovery_lhs")
df[["us_cn_gap_months_mean12", "noncn_on_cn_open_mean12", "open_share_US_mean12"]].describe().round(2)
"""),
    md("""
## The question

"When is China's frontier close behind the US's?" The figures in `figures/discovery/` ask it as
`us_cn_gap_months_mean12 < 15` (a lag under fifteen months over the last year) on the full sweep; here we take the
runs in the lowest quarter of the lag, whatever the size, so that the condition holds in some runs and not in
others (a condition that holds in all runs or in none is refused: there is nothing to tell apart).
"""),
    code("""
cut = round(float(df["us_cn_gap_months_mean12"].quantile(0.25)), 2)
where = f"us_cn_gap_months_mean12 < {cut}"
res = discover(tmp / "discovery_lhs", where, Options(method="prim"))
print(res.describe_box())
for n in res.notes:
    print("note:", n)
"""),
    md("""
## PRIM: the peeling trajectory and the chosen box

Every point is a box: coverage (the share of all cases of interest inside it) against density (the share of
the runs inside it that are of interest). Peeling trades coverage for density; the chosen box has the highest
coverage among those that reach the density threshold (0.8 by default), and restrictions whose quasi-p-values
are all above 0.05 are then dropped. Its limits, with the quasi-p-value of each restricted side, follow.
"""),
    code("""
write_results(res, tmp / "discovery")
manifest, tables = load_discovery(tmp / "discovery")
fig_tradeoff(tables["candidates"], manifest);
"""),
    code("""
res.limits[["factor", "role", "lower", "upper", "data_min", "data_max", "restricted", "qp_lower", "qp_upper"]].round(3)
"""),
    code("""
fig_box_limits(tables["limits"], manifest);
"""),
    md("""
## Feature scores

The extra-trees score of each factor for the condition (they sum to 1): which inputs matter at all; levers
are hatched.
"""),
    code("""
fig_feature_scores(tables["scores"], manifest);
"""),
    md("""
## CART, and the levers alone

CART's tree gives the same kind of answer as rules; restricting the inputs to the levers asks which policies
make the outcome likely whatever the uncertainties do.
"""),
    code("""
tree = discover(tmp / "discovery_lhs", where, Options(method="cart", mass_min=0.1))
print(tree.tree)
tree.candidates.sort_values("density", ascending=False).head()
"""),
    code("""
levers = discover(tmp / "discovery_lhs", where, Options(inputs="levers"))
print(levers.describe_box())
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
    write("02_export_control_sweep.ipynb", SWEEP)
    write("03_sensitivity.ipynb", SENSITIVITY)
    write("04_validation.ipynb", VALIDATION)
    write("05_scenario_discovery.ipynb", DISCOVERY)
