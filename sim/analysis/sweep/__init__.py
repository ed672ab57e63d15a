"""Parameter sweeps: experiment specs, designs, executors and a streaming, resumable result store.

The pipeline (each step a plain function, as in SALib):

- :func:`load_spec` reads and validates an experiment spec (``experiments/*.toml``);
- :func:`design_matrix` builds its design (grid, Latin hypercube, Sobol'/Saltelli, Morris);
- :func:`run_sweep` runs every (point, replication) on one ``concurrent.futures`` executor (serial, a
  process pool or a Dask cluster) and streams the results to Parquet parts, resumably;
- :func:`load_results` returns one tidy DataFrame of the summary metrics.

Layering: this package imports the model layer (``sim.analysis.runs``, ``sim.scenario.schema``, ``sim.model.metrics``);
the CLI (``aieco sweep``, ``aieco results``) imports it.
"""

from sim.analysis.sweep.designs import design_matrix, n_points, salib_problem
from sim.analysis.sweep.runner import SweepError, SweepOutcome, plan_sweep, run_sweep
from sim.analysis.sweep.spec import SpecError, SweepSpec, load_spec
from sim.analysis.sweep.store import StoreError, load_design, load_results, load_timeseries, overview

__all__ = ["SpecError", "StoreError", "SweepError", "SweepOutcome", "SweepSpec", "design_matrix", "load_design",
           "load_results", "load_spec", "load_timeseries", "n_points", "overview", "plan_sweep", "run_sweep",
           "salib_problem"]
