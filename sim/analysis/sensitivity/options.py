"""Constants, options and results of a sensitivity analysis (:class:`Options`, :class:`OutputReport`,
:class:`SensitivityResult`).

Part of :mod:`sim.analysis.sensitivity` (see its docstring for the pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

DESIGNS = ("sobol", "morris")
"""Designs that can be analysed here (the sweep layer also has grid and lhs)."""

SECOND_OPINIONS = ("delta", "pawn", "both", "none")
"""Moment-independent second opinions: Borgonovo's delta, PAWN, both, or none."""

MIN_SOBOL_N = 16
"""Smallest base sample N for a Sobol' analysis (bootstrap intervals need a few blocks)."""

MIN_MORRIS_R = 4
"""Fewest Morris trajectories (mu* and sigma are means and spreads over trajectories)."""

MIN_CONVERGENCE_BLOCKS = 8
"""A convergence step is computed only when it has at least this many blocks (trajectories)."""

MIN_SECOND_OPINION_ROWS = 50
"""delta and PAWN need a reasonable sample; below this they are skipped (and said so)."""

CI_WIDE = 0.1
"""A Sobol' interval is 'wide' when its half-width exceeds this (indices live on 0..1)."""

DRIFT = 0.05
"""A Sobol' index 'still moves' when it changes by more than this between N/2 and N (beyond its interval)."""

MORRIS_WIDE = 0.5
"""A Morris mu* interval of an important factor is wide when its half-width exceeds this share of its mu*."""

FRACTIONS = (0.125, 0.25, 0.5, 1.0)
"""Shares of the sample used by the convergence check."""

SWEEP_DIR = "sweep"
NOISE_DIR = "noise_probe"
PROBE_REPLICATIONS = 4
"""Runs per point of the noise probe (see :func:`run_noise_probe`)."""
AUTO_NOISE_PROBE = 32
"""Points of the noise probe the CLI adds to a one-replication design of a stochastic model."""
MANIFEST = "manifest.json"
INDICES = "indices"
CONVERGENCE = "convergence"
OUTPUTS = "outputs.csv"
NAN_RUNS = "nan_runs.csv"

INDEX_COLUMNS = ["output", "method", "index", "parameter", "parameter2", "value", "conf", "ci_low", "ci_high",
                 "conf_level", "n"]
"""Columns of the tidy indices table (and of the convergence table). ``conf`` is the half-width of the
interval, ``n`` the base samples N (Sobol'), trajectories (Morris) or rows (delta, PAWN) used."""


class SensitivityError(ValueError):
    """Input that cannot be analysed: wrong design, too few samples, zero-range factor, unknown outputs or
    groups, a results folder that does not match. The message says what and how to fix it."""


# ---------------------------------------------------------------------------------------------
# Options and results
# ---------------------------------------------------------------------------------------------

@dataclass
class Options:
    """What to analyse and how.

    outputs : the outputs (summary metrics recorded by the spec) to analyse; None: all the spec records.
    groups : ``{group: [factor, ...]}``; factors in no group form their own group. None: no groups.
    second_opinion : one of :data:`SECOND_OPINIONS`.
    num_resamples : bootstrap resamples of the Sobol' and Morris intervals.
    second_resamples : bootstrap resamples of delta and PAWN (these are slower).
    conf_level : confidence level of every interval.
    exclude_nan : analyse outputs with NaN runs by dropping the affected blocks/trajectories.
    ci_wide, drift : thresholds of the convergence check (:data:`CI_WIDE`, :data:`DRIFT`).
    noise_probe : run this many design points :data:`PROBE_REPLICATIONS` times more (``out/noise_probe``) to
        measure the replication noise when the design itself has one replication per point."""

    outputs: list[str] | None = None
    groups: dict[str, list[str]] | None = None
    second_opinion: str = "pawn"
    num_resamples: int = 1000
    second_resamples: int = 100
    conf_level: float = 0.95
    exclude_nan: bool = False
    ci_wide: float = CI_WIDE
    drift: float = DRIFT
    noise_probe: int = 0

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class OutputReport:
    """What happened to one output.

    status : ``ok``, ``constant`` (no variance: no indices), ``nan`` (NaN runs, not excluded: no indices)
        or ``too_few`` (too few complete blocks left after excluding NaN).
    n_used, n_total : blocks (Sobol': base samples) or trajectories (Morris) used, of those designed.
    noise_share : the share of the variance of the point means that is the replication noise of a mean
        (Monte Carlo noise; every ST carries about this much of it), measured from the replications, or
        with one replication from the noise probe (``noise_source`` says which). NaN when unknown.
    mu_star_floor : Morris, with replications: the mu* that replication noise alone produces,
        ``2 sigma / (sqrt(pi) Delta)`` for point-mean noise ``sigma`` and step ``Delta``; a factor below about
        twice this is indistinguishable from noise. NaN otherwise.
    verdict : ``converged``, ``not converged``, ``not checked`` (a Morris design too small for the check) or
        ``n/a``; ``warnings`` say why."""

    output: str
    status: str
    n_total: int
    n_used: int = 0
    nan_runs: int = 0
    mean: float = float("nan")
    sd: float = float("nan")
    skew: float = float("nan")
    noise_share: float = float("nan")
    mu_star_floor: float = float("nan")
    noise_source: str = ""
    verdict: str = "n/a"
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    message: str = ""

    def row(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["warnings"] = " | ".join(self.warnings)
        d["notes"] = " | ".join(self.notes)
        return d


@dataclass
class SensitivityResult:
    """The analysis of one sweep: tidy ``indices`` and ``convergence`` tables (:data:`INDEX_COLUMNS`), a
    report per output, the runs with NaN outputs, and what was analysed."""

    name: str
    design: str
    parameters: list[str]
    factors: list[str]
    groups: dict[str, list[str]] | None
    n_base: int
    replications: int
    calc_second_order: bool
    indices: pd.DataFrame
    convergence: pd.DataFrame
    outputs: list[OutputReport]
    nan_runs: pd.DataFrame
    options: Options
    seeds: dict[str, int]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every output was analysed (constant outputs count as analysed: there is nothing to apportion)."""
        return all(r.status in ("ok", "constant") for r in self.outputs)

    @property
    def warnings(self) -> list[str]:
        return [f"{r.output}: {w}" for r in self.outputs for w in r.warnings]

    def output_table(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.outputs])

    def top(self, output: str, k: int = 5) -> pd.DataFrame:
        """The ``k`` most influential parameters of an output (by ST, or mu_star for Morris), one row per
        parameter with its main indices as columns."""
        idx = self.indices[(self.indices["output"] == output) & (self.indices["parameter2"].isna())
                           & (self.indices["method"].isin(["sobol", "morris"]))]
        if idx.empty:
            return pd.DataFrame()
        wide = idx.pivot_table(index="parameter", columns="index", values="value", sort=False)
        conf = idx.pivot_table(index="parameter", columns="index", values="conf", sort=False)
        for c in conf.columns:
            wide[f"{c}_conf"] = conf[c]
        second = self.indices[(self.indices["output"] == output) & self.indices["method"].isin(["delta", "pawn"])
                              & (self.indices["parameter"] != DUMMY)]
        for m, g in second.groupby("method"):
            wide[m] = g.set_index("parameter")["value"]
        key = "ST" if self.design == "sobol" else "mu_star"
        return wide.sort_values(key, ascending=False).head(k)


DUMMY = "(dummy)"
"""Parameter name of the dummy input added to delta and PAWN (its index is the estimator's floor)."""


