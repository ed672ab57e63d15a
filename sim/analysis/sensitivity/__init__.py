"""Global sensitivity analysis: which uncertain parameters drive an output, on SALib and the sweep layer.

The pipeline behind ``aieco sensitivity SPEC`` (each step a plain function):

1. :func:`load_sensitivity_spec` reads an experiment spec (``experiments/*.toml``) whose design is
   ``sobol`` (Saltelli sampling) or ``morris`` (elementary effects); :func:`check_inputs` rejects what
   cannot be analysed (too few samples, a factor with zero range, unknown outputs or groups).
2. :func:`run_design` runs the design through the sweep runner and store (:func:`sim.analysis.sweep.run_sweep`), so
   every executor (serial, processes, Dask), ``--resume`` and the failure records work unchanged. Grouped
   factors need a grouped design (SALib moves a group's factors together); :func:`sensitivity_design` draws
   it with SALib and the same runner executes it.
3. :func:`analyse` averages the replications of each design point (the spec's ``replications``) and applies
   SALib to each chosen output: Sobol' first-order ``S1``, total ``ST`` and optionally second-order ``S2``
   indices with bootstrap confidence intervals (:func:`SALib.analyze.sobol.analyze`); or Morris ``mu``,
   ``mu_star`` (with a bootstrap interval) and ``sigma`` (:func:`SALib.analyze.morris.analyze`). As a
   moment-independent second opinion it adds ``PAWN`` (default; :func:`SALib.analyze.pawn.analyze`,
   bootstrap interval ours) and/or Borgonovo's ``delta`` (:func:`SALib.analyze.delta.analyze`; slow: its
   kernel density estimates take minutes per output when BLAS threads compete), each with a dummy input
   that shows the estimator's floor. The replication noise of a stochastic model is measured from the
   replications, or for a one-replication design from a small noise probe (:func:`run_noise_probe`). SALib has no convergence check; :func:`analyse` repeats the analysis
   on the first N/8, N/4, N/2 and N base samples (Morris: trajectories) and warns when intervals are still
   wide, when ``S1 > ST`` beyond their intervals, or when indices still move between N/2 and N.
4. :func:`write_results` writes the tidy tables (``indices``, ``convergence``: CSV and Parquet), the
   per-output report (``outputs.csv``) and a manifest. Figures: :mod:`sim.plots.sensitivity`.

Bad input and awkward outputs:

- fewer samples than the analysis needs, a factor with zero range, an unknown output, overlapping or
  unknown groups: :class:`SensitivityError` before anything runs (the CLI exits 2);
- an output that is constant across the sample is reported as such; its indices are not computed (they
  would divide by a zero variance);
- runs with NaN outputs (or failed runs) are listed with their point, replication, seed and error. The
  output is then analysed only with ``exclude_nan``: replications are averaged over the finite ones and
  Sobol' blocks (Morris trajectories) that still hold a NaN are dropped -- never single rows, which would
  break the Saltelli structure.

SALib traps avoided: ``calc_second_order`` is taken from the spec for both sampling and analysis;
``sobol.analyze(seed=0)`` falls back to an unseeded generator (SALib tests ``if seed:``), so every analysis
gets a non-zero seed derived from the spec's seed and the output (:func:`analysis_seed`); SALib 1.6 returns
``delta_raw``/``delta_balanced`` rather than ``delta``; grouped Morris reports ``sigma`` as NaN for groups
of more than one factor, by design (said in the report, not treated as a failure); SALib's delta and PAWN
seed numpy's global generator and change the ``warnings`` filters, so both are restored after each call.

Modules: :mod:`~sim.analysis.sensitivity.options` (options, results), :mod:`~sim.analysis.sensitivity.design`
(specs, designs, running them), :mod:`~sim.analysis.sensitivity.indices` (the SALib estimators and verdicts),
:mod:`~sim.analysis.sensitivity.analyse` (the analysis), :mod:`~sim.analysis.sensitivity.pipeline` (writing, the
whole pipeline).

Layering: imports the sweep layer and the model layer's metric registry; the plots and the CLI import this.
"""

from sim.analysis.sensitivity.analyse import analyse
from sim.analysis.sensitivity.design import (
    check_inputs,
    design_points,
    group_list,
    load_sensitivity_spec,
    n_base,
    parse_groups,
    run_design,
    run_noise_probe,
    sensitivity_design,
)
from sim.analysis.sensitivity.indices import analysis_seed, pawn_medians
from sim.analysis.sensitivity.options import (
    AUTO_NOISE_PROBE,
    CI_WIDE,
    DESIGNS,
    DRIFT,
    DUMMY,
    FRACTIONS,
    INDEX_COLUMNS,
    NOISE_DIR,
    SECOND_OPINIONS,
    SWEEP_DIR,
    Options,
    OutputReport,
    SensitivityError,
    SensitivityResult,
)
from sim.analysis.sensitivity.pipeline import (
    SensitivityRun,
    compare_analytic,
    load_indices,
    read_manifest,
    run_sensitivity,
    write_results,
)

__all__ = [
    "AUTO_NOISE_PROBE", "CI_WIDE", "DESIGNS", "DRIFT", "DUMMY", "FRACTIONS", "INDEX_COLUMNS", "NOISE_DIR",
    "Options", "OutputReport", "SECOND_OPINIONS", "SWEEP_DIR", "SensitivityError", "SensitivityResult",
    "SensitivityRun", "analyse", "analysis_seed", "check_inputs", "compare_analytic", "design_points",
    "group_list", "load_indices", "load_sensitivity_spec", "n_base", "parse_groups", "pawn_medians",
    "read_manifest", "run_design", "run_noise_probe", "run_sensitivity", "sensitivity_design", "write_results",
]
