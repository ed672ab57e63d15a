"""The laboratory around the model: runs, comparisons, sweeps and the analyses made of them.

- :mod:`~sim.analysis.runs`: replications with independent seeds, run folders and their manifests;
- :mod:`~sim.analysis.compare`: paired scenario comparisons and their effects; :mod:`~sim.analysis.precision`:
  bootstrap intervals and replicating until precise;
- :mod:`~sim.analysis.sweep`: experiment specs, designs, executors (serial, processes, Dask) and a streaming,
  resumable store;
- :mod:`~sim.analysis.sensitivity` (Sobol', Morris), :mod:`~sim.analysis.discovery` (PRIM, CART);
- :mod:`~sim.analysis.validation` and :mod:`~sim.analysis.validation_eci` (patterns P1-P8),
  :mod:`~sim.analysis.calibration` and :mod:`~sim.analysis.abcsmc` (ABC-SMC), :mod:`~sim.analysis.posterior`;
- :mod:`~sim.analysis.claims` (captions checked against figures), :mod:`~sim.analysis.provenance` (manifests,
  atomic writes), :mod:`~sim.analysis.progress`, :mod:`~sim.analysis.testfunctions` (Ishigami, Sobol' G).

Imports the model, scenario and empirical layers; draws nothing (figures are :mod:`sim.plots`). Names are
loaded lazily, so ``import sim.analysis`` does not import pyabc, dask or EMA Workbench.
"""

from sim import _lazy_exports

_LAZY = {
    "run_one": "runs", "run_replications": "runs", "Replications": "runs", "RunResult": "runs",
    "write_run": "runs", "read_run": "runs", "seed_for": "runs",
    "run_comparison": "compare", "Comparison": "compare", "compare_stats": "compare", "paired_effects": "compare",
    "bootstrap_ci": "precision",
    "load_spec": "sweep", "run_sweep": "sweep", "design_matrix": "sweep", "load_results": "sweep",
    "load_timeseries": "sweep",
    "validate": "validation", "load_targets": "validation",
    "base_manifest": "provenance",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
