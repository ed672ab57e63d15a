"""Calibration as inference: approximate Bayesian computation (ABC-SMC, pyabc) of the free parameters.

A spec (TOML, ``experiments/abc.toml``; :func:`load_abc_spec`) names the scenario, the free parameters (their
priors default to the parameters' plausible ranges, ``P(..., plausible=...)`` in :mod:`sim.scenario.schema`), the
simulated horizon (36 months, 2022-01..2024-12: the targets used are those up to 2024, so 2025 is not simulated
here; it is held out for ``aieco validate --posterior``), the population and the stop rules. :func:`run_abc`
runs pyabc's ABC-SMC with a history database (SQLite: a crash loses at most the generation under way, and the
same command resumes), locally on ``workers`` processes or on a Dask cluster given its scheduler address;
:func:`posterior_ensemble` reads the last generation's weighted particles, and :func:`write_ensemble` writes
them with their provenance (``scenarios/posterior.json``; :mod:`sim.analysis.posterior` draws from it).

**Summary statistics** (:func:`summary_statistics`, one simulation = ``replications`` runs of the 2022-2024
scenario with seeds derived from the parameter values, averaged):

========  ==============================================================================  ========================
pattern   statistic (calibration years 2022-2024)                                          empirical sigma
========  ==============================================================================  ========================
P1        mean p_open of CN's and of the US's releases per year (expected open share)     Wilson 90% interval / 3.29
P2        yearly mean open-closed training-compute lag (months)                           ``lag_sigma_months``
P3        frontier training compute growth 2022-2024, log10 (x per year)                  envelope of the fits' 90% CIs / 3.29 (log10)
P5        2024 share of months whose best open model is Chinese                           Wilson 90% of the months / 3.29
P6, P7    2024 mean open-closed and US-China lags on ECI (months)                         ``lag_sigma_months``
P8        2024 open share of each named lab's releases vs its flagship (0/1)              ``p8_sigma``
========  ==============================================================================  ========================

**Distance** (:class:`Distance`)::

    d = sqrt( sum_p w_p * mean_{i in p} z_i^2 ),   z_i = (s_i - e_i) / sigma_i

each pattern's items averaged (a pattern counts once whatever its number of items), ``w_p`` the spec's weights
(default 1). A statistic the simulation cannot compute (a region without releases in a year) gets
``z = MISSING_Z`` (a P8 lab without releases in 2024 is left out). ``d = 0`` exactly when every statistic equals its target; ``d = 1`` when each pattern is off
by one empirical standard deviation on average (with unit weights, ``d^2`` sums over patterns).

Epsilon schedule: pyabc's median of the previous generation's distances (``QuantileEpsilon``); transitions:
multivariate normal kernels (pyabc's default). Stops at ``generations`` generations, at ``min_epsilon``, or when
the acceptance rate falls below ``min_acceptance_rate`` (the sign that further generations cost more than they
tighten).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.abc_posterior import (
    ABCReport,
    generation_table,
    history_wall_seconds,
    posterior_ensemble,
    posterior_generation,
    posterior_summary,
    weighted_quantiles,
    write_abc_report,
    write_ensemble,
)
from sim.analysis.abc_statistics import (
    CALIBRATION_YEARS,
    ECI_YEAR,
    MISSING_Z,
    PATTERNS,
    Z90,
    ABCError,
    Distance,
    observed_statistics,
    summary_statistics,
)
from sim.analysis.calibration_spec import parameter_range, read_spec_table, spec_value
from sim.scenario.schema import DECISIONS, Scenario, load_scenario, theories_using, with_values

__all__ = [
    "CALIBRATION_YEARS",
    "ECI_YEAR",
    "MISSING_Z",
    "PATTERNS",
    "Z90",
    "ABCError",
    "ABCReport",
    "ABCSpec",
    "Distance",
    "Model",
    "Prior",
    "estimate_seconds",
    "for_theory",
    "generation_table",
    "history_wall_seconds",
    "load_abc_spec",
    "observed_statistics",
    "posterior_ensemble",
    "posterior_generation",
    "posterior_summary",
    "run_abc",
    "summary_statistics",
    "weighted_quantiles",
    "write_abc_report",
    "write_ensemble",
]

ASSUMED_ACCEPTANCE = (1.0, 0.5, 0.35, 0.25, 0.18, 0.13, 0.1, 0.08, 0.06, 0.05)
"""Acceptance rates assumed by the wall-time estimate before a run, by generation (generation 0 also samples
``population`` prior draws to set its epsilon); replaced by the measured rates as generations finish."""


@dataclass
class Prior:
    """A free parameter: dotted scenario ``path``, uniform prior on ``[lower, upper]`` and why it is free."""

    path: str
    lower: float
    upper: float
    why: str = ""
    integer: bool = False
    theories: tuple[str, ...] | None = None  # the release-decision theories it belongs to (None: every theory)

    @property
    def name(self) -> str:
        """The pyabc parameter name (dots are not allowed in pyabc's database columns)."""
        return self.path.replace(".", "__")


@dataclass
class ABCSpec:
    """A parsed ABC spec (paths resolved relative to the spec file); see ``experiments/abc.toml``."""

    source: Path
    scenario: Path
    output: Path
    out_dir: Path
    db: Path
    targets: Path | None
    priors: list[Prior]
    months: int = 36
    replications: int = 1
    developers_n: int | None = None
    seed: int = 1
    population: int = 200
    generations: int = 8
    min_acceptance_rate: float = 0.02
    min_epsilon: float = 0.0
    min_ess: int = 100
    workers: int = 2
    lag_sigma_months: float = 5.2
    p8_sigma: float = 0.5
    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PATTERNS, 1.0))
    sets: list[str] = field(default_factory=list)
    description: str = ""
    theory: str | None = None  # the release-decision theory fitted (labs.decision); None: the scenario's own

    def fingerprint(self) -> str:
        """Hash of what defines the inference problem (scenario file, priors, horizon, statistics, distance):
        a history database is resumed only by a spec with the same fingerprint."""
        key = {"scenario": str(self.scenario), "priors": [(p.path, p.lower, p.upper) for p in self.priors],
               "months": self.months, "replications": self.replications, "developers_n": self.developers_n,
               "seed": self.seed, "population": self.population, "lag_sigma_months": self.lag_sigma_months,
               "p8_sigma": self.p8_sigma, "weights": self.weights, "sets": self.sets}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]



_TOP_KEYS = {"description", "scenario", "output", "out_dir", "db", "targets", "months", "replications",
             "developers_n", "seed", "abc", "distance", "parameters", "set"}


def _get(d: dict, key: str, typ: type | tuple, src: str, default: Any = None, required: bool = False) -> Any:
    """:func:`sim.analysis.calibration_spec.spec_value` raising :class:`ABCError`."""
    return spec_value(d, key, typ, src, default, required, error=ABCError)


def load_abc_spec(path: str | Path) -> ABCSpec:
    """Read and check an ABC spec TOML (keys as in ``experiments/abc.toml``).

    A parameter's prior is uniform on its ``prior = [lower, upper]`` or, without it, on the parameter's
    plausible range. Raises :class:`ABCError` naming the file and key for a missing file, invalid TOML, an
    unknown key, a wrong type, an unknown parameter path, a parameter without a plausible range and no
    ``prior``, or a prior outside the parameter's valid range."""
    path = Path(path)
    data, src = _read_spec(path), str(path)
    base = path.resolve().parent

    def p(key: str, default: str | None = None, required: bool = False) -> Path | None:
        v = _get(data, key, str, src, default, required)
        return None if v is None else (base / v).resolve()

    priors = _priors(data, src)
    abc, dist = _abc_section(data, src), _distance_section(data, src)
    sets = _get(data, "set", list, src, [])
    if not all(isinstance(s, str) for s in sets):
        raise ABCError(f"{src}: key 'set': expected a list of 'section.key=value' strings")
    out_dir = p("out_dir", "../results/abc")
    dn = _get(data, "developers_n", int, src, None)
    if dn is not None and dn < 1:
        raise ABCError(f"{src}: key 'developers_n': must be >= 1, got {dn}")
    return ABCSpec(
        source=path.resolve(), scenario=p("scenario", required=True), output=p("output", required=True),
        out_dir=out_dir, db=p("db") or out_dir / "abc_history.db", targets=p("targets"), priors=priors,
        months=_posint(data, "months", src, 36), replications=_posint(data, "replications", src, 1), developers_n=dn,
        seed=_get(data, "seed", int, src, 1), **abc, **dist, sets=list(sets),
        description=_get(data, "description", str, src, ""))


def _read_spec(path: Path) -> dict:
    """The spec's TOML table; ABCError for a missing file, invalid TOML or an unknown top-level key."""
    return read_spec_table(path, _TOP_KEYS, ABCError, "ABC spec")


def _posint(d: dict, key: str, where: str, default: int) -> int:
    v = _get(d, key, int, where, default)
    if v < 1:
        raise ABCError(f"{where}: key '{key}': must be >= 1, got {v}")
    return v


def _priors(data: dict, src: str) -> list[Prior]:
    """The ``[[parameters]]``: one uniform prior each, at least one, no path twice."""
    raw = _get(data, "parameters", list, src, required=True)
    if not raw:
        raise ABCError(f"{src}: key 'parameters': list at least one [[parameters]] table")
    priors = [_prior(item, f"{src}: parameters[{i}]") for i, item in enumerate(raw)]
    if len({q.path for q in priors}) != len(priors):
        raise ABCError(f"{src}: key 'parameters': a path is listed twice")
    return priors


def _prior(item: Any, where: str) -> Prior:
    """One parameter's prior: on ``prior = [lower, upper]``, else its plausible range; within its valid range."""
    ppath, lo, hi, info = parameter_range(item if not isinstance(item, dict) else
                                          {k: v for k, v in item.items() if k != "theories"},
                                          where, "prior", {"path", "prior", "why"}, ABCError, default_plausible=True)
    integer = isinstance(info["default"], int) and not isinstance(info["default"], bool)
    theories = _get(item, "theories", list, where, None)
    if theories is not None and (not theories or any(t not in DECISIONS for t in theories)):
        raise ABCError(f"{where}: key 'theories': expected a non-empty list of {', '.join(DECISIONS)}, got {theories!r}")
    section, _, name = ppath.partition(".")
    users = theories_using(name) if section == "labs" else None
    if users is not None and (theories is None or set(theories) - set(users)):
        raise ABCError(f"{where}: key 'theories': {ppath} is used only by the theories {', '.join(users)} (fitting it "
                       f"under another has no effect); give theories = {list(users)!r} or a subset")
    return Prior(ppath, lo, hi, _get(item, "why", str, where, ""), integer,
                 tuple(theories) if theories is not None else None)


def for_theory(spec: ABCSpec, theory: str) -> ABCSpec:
    """The spec of one release-decision theory (issue 28): ``labs.decision = theory`` added to its ``set``, the
    priors of the parameters that belong to it (no ``theories`` key, or one naming it), and its own outputs beside
    the spec's: ``<output stem>_<theory>.json``, ``<out_dir>/<theory>/`` with its history database. Every theory
    keeps the spec's population, generations, stopping rules and posterior rule (``min_ess``: the same budget and
    the same rule for every theory). Raises ABCError for an unknown theory."""
    if theory not in DECISIONS:
        raise ABCError(f"--theory: expected one of {', '.join(DECISIONS)}, got {theory!r}")
    priors = _theory_priors(spec, theory)
    out_dir = spec.out_dir / theory
    return replace(spec, priors=priors, sets=[*spec.sets, f"labs.decision={theory}"], theory=theory,
                   output=spec.output.with_name(f"{spec.output.stem}_{theory}{spec.output.suffix}"),
                   out_dir=out_dir, db=out_dir / "abc_history.db")


def own_theory(spec: ABCSpec) -> ABCSpec:
    """The spec fitting its scenario's own theory of the release decision (``aieco calibrate`` without
    ``--theory``): the priors of the parameters that theory uses, and its particles tagged with it, so the ensemble
    says which theory it is (the spec's outputs and posterior rule unchanged). Raises ScenarioError (from loading the
    scenario) for a bad scenario."""
    decision = load_scenario(spec.scenario, spec.sets).labs.decision
    return replace(spec, priors=_theory_priors(spec, decision), theory=decision)


def _theory_priors(spec: ABCSpec, theory: str) -> list[Prior]:
    """The spec's priors of the parameters ``theory`` fits: those without ``theories`` and those naming it."""
    return [q for q in spec.priors if q.theories is None or theory in q.theories]


def _abc_section(data: dict, src: str) -> dict[str, Any]:
    """``[abc]``: population, generations, stopping rules, the posterior's minimum ESS and the workers."""
    abc = _get(data, "abc", dict, src, {})
    w_abc = f"{src}: [abc]"
    extra = set(abc) - {"population", "generations", "min_acceptance_rate", "min_epsilon", "min_ess", "workers"}
    if extra:
        raise ABCError(f"{w_abc}: unknown key(s) {', '.join(sorted(extra))}; allowed: population, generations, "
                       "min_acceptance_rate, min_epsilon, min_ess, workers")
    rate = _get(abc, "min_acceptance_rate", float, w_abc, 0.02)
    if not 0 <= rate < 1:
        raise ABCError(f"{w_abc} key 'min_acceptance_rate': must be in [0, 1), got {rate}")
    eps = _get(abc, "min_epsilon", float, w_abc, 0.0)
    if eps < 0:
        raise ABCError(f"{w_abc} key 'min_epsilon': must be >= 0, got {eps}")
    return {"population": _posint(abc, "population", w_abc, 200), "generations": _posint(abc, "generations", w_abc, 8),
            "min_acceptance_rate": rate, "min_epsilon": eps, "min_ess": _posint(abc, "min_ess", w_abc, 100),
            "workers": _posint(abc, "workers", w_abc, 2)}


def _distance_section(data: dict, src: str) -> dict[str, Any]:
    """``[distance]``: the statistics' sigmas and the patterns' weights (1 each by default)."""
    dist = _get(data, "distance", dict, src, {})
    w_d = f"{src}: [distance]"
    extra = set(dist) - {"lag_sigma_months", "p8_sigma", "weights"}
    if extra:
        raise ABCError(f"{w_d}: unknown key(s) {', '.join(sorted(extra))}; allowed: lag_sigma_months, p8_sigma, "
                       "weights")
    weights = _get(dist, "weights", dict, w_d, {})
    bad = [k for k, v in weights.items() if k not in PATTERNS or isinstance(v, bool)
           or not isinstance(v, int | float) or v < 0]
    if bad:
        raise ABCError(f"{w_d} key 'weights': {bad[0]!r}: expected {{P1 = w, ...}} over {', '.join(PATTERNS)} "
                       "with w >= 0")
    out: dict[str, Any] = {"weights": {k: float(weights.get(k, 1.0)) for k in PATTERNS}}
    for key, default in (("lag_sigma_months", 5.2), ("p8_sigma", 0.5)):
        v = _get(dist, key, float, w_d, default)
        if not v > 0:
            raise ABCError(f"{w_d} key '{key}': must be > 0, got {v}")
        out[key] = v
    return out


# --------------------------------------------------------------------------------------------------
# model


def particle_seed(base_seed: int, values: Sequence[float]) -> int:
    """A 63-bit seed derived from ``base_seed`` and a particle's parameter values: the same particle gives the
    same simulation (reproducible), different particles independent ones."""
    from sim.analysis.runs import seed_for

    h = hashlib.blake2b(np.asarray(values, float).tobytes(), digest_size=8).digest()
    return seed_for(base_seed, int.from_bytes(h, "little") & (2**31 - 1))


class Model:
    """Picklable pyabc model: a parameter dict (pyabc names, :attr:`Prior.name`) -> summary statistics of
    ``replications`` runs of ``base`` with those values (seeds :func:`particle_seed` then ``seed_for(., r)``)."""

    def __init__(self, base: Scenario, priors: Sequence[Prior], replications: int = 1, seed: int = 1,
                 labs: Sequence[str] = ()):
        from sim.model.labs import load_roster

        self.base, self.priors, self.replications, self.seed = base, list(priors), replications, seed
        self.labs = list(labs)
        self.roster = load_roster(base.roster_path())

    def values(self, pars: dict) -> dict[str, float | int]:
        """Scenario values of a pyabc parameter dict (integers rounded, clipped to the prior)."""
        out: dict[str, float | int] = {}
        for p in self.priors:
            v = min(max(float(pars[p.name]), p.lower), p.upper)
            out[p.path] = int(round(v)) if p.integer else v
        return out

    def run(self, values: dict[str, float | int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Stacked (timeseries, releases) of the runs at ``values`` (dotted paths)."""
        from sim.analysis.runs import seed_for
        from sim.model.ecosystem import EcosystemModel

        sc = with_values(self.base, values, source="ABC particle")
        s0 = particle_seed(self.seed, [float(values[p.path]) for p in self.priors])
        ts, rel = [], []
        for r in range(self.replications):
            m = EcosystemModel(sc, seed=seed_for(s0, r), roster=self.roster).run()
            ts.append(m.timeseries().assign(replication=r))
            rel.append(m.release_log().assign(replication=r))
        return pd.concat(ts, ignore_index=True), pd.concat(rel, ignore_index=True)

    def __call__(self, pars: dict) -> dict[str, float]:
        return summary_statistics(*self.run(self.values(pars)), labs=self.labs)


def base_scenario(spec: ABCSpec) -> Scenario:
    """The spec's scenario with its ``set`` overrides (``labs.decision=T`` from :func:`for_theory` puts the
    mechanisms T does not use at their defaults), the calibration horizon ``months`` and ``developers_n``."""
    from sim.scenario.schema import with_horizon

    sc = with_horizon(load_scenario(spec.scenario, spec.sets), spec.months)
    if spec.developers_n is not None:
        sc = with_values(sc, {"developers.n": spec.developers_n}, source=f"{spec.source} (developers_n)")
    return sc


def make_problem(spec: ABCSpec):
    """(model, distance, observed statistics, targets) of ``spec``."""
    from sim.analysis.validation import load_targets

    targets = load_targets(spec.targets)
    obs, sig = observed_statistics(targets, spec.lag_sigma_months, spec.p8_sigma)
    base = base_scenario(spec)
    labs = [k[3:] for k in obs if k.startswith("P8_")]
    model = Model(base, spec.priors, spec.replications, spec.seed, labs)
    present = set(model.roster[_lab_column(model.roster)])
    # P8 compares only labs of the roster (a lab the model does not have cannot release)
    for lab in [lab for lab in labs if lab not in present]:
        obs.pop(f"P8_{lab}")
        sig.pop(f"P8_{lab}")
    model.labs = [lab for lab in labs if lab in present]
    return model, Distance(sig, spec.weights), obs, targets


def _lab_column(roster: pd.DataFrame) -> str:
    for c in ("name", "lab", "organization"):
        if c in roster:
            return c
    raise ABCError("the roster has no lab name column (name/lab/organization)")


# --------------------------------------------------------------------------------------------------
# running


def estimate_seconds(seconds_per_simulation: float, population: int, generations: int, workers: float,
                     acceptance: Sequence[float] = ASSUMED_ACCEPTANCE, prior_sample: bool = True) -> tuple[float, int]:
    """(wall seconds, simulations) for ``generations`` generations of ``population`` accepted particles at
    ``acceptance`` rates by generation (the last rate repeats), plus (``prior_sample``) ``population`` prior
    draws that set generation 0's epsilon, spread over ``workers`` processes."""
    acc = list(acceptance) + [acceptance[-1]] * max(0, generations - len(acceptance))
    sims = population * prior_sample + sum(math.ceil(population / max(a, 1e-3)) for a in acc[:generations])
    return sims * seconds_per_simulation / max(0.5, workers), sims


@dataclass
class ABCRun:
    """What :func:`run_abc` did: the pyabc history, its run id, wall seconds of this call, the simulations of
    this call, and whether it resumed an earlier run."""

    history: Any
    run_id: int
    wall_seconds: float
    simulations: int
    resumed: bool
    spec: ABCSpec
    observed: dict[str, float]
    distance: Distance
    run_state: dict = field(default_factory=dict)
    """The model's source and scenario hashes (and git commit) when the history's run began."""


def run_abc(spec: ABCSpec, scheduler: str | None = None, new: bool = False,
            echo: Callable[[str], None] | None = None, dask_client: Any = None) -> ABCRun:
    """Run (or resume) ABC-SMC for ``spec``; the history goes to ``spec.db`` (SQLite).

    A run in the database with this spec's :meth:`ABCSpec.fingerprint` is resumed (its finished generations
    kept, the remaining ones run) unless ``new``; if the model's code or the resolved scenario changed since
    that run began (:func:`code_and_scenario_state`), ABCError says to start anew. ``scheduler``: a Dask scheduler address (``tcp://host:8786``)
    to evaluate particles on its workers (the same command otherwise); ``dask_client`` an existing
    ``distributed.Client`` instead. Without either, ``spec.workers`` local processes (1: in this process).
    ``echo(msg)`` receives status lines (the wall-time estimate, each generation). Raises ABCError for a bad
    spec, ImportError when pyabc is not installed (``pip install aieco[abc]``)."""
    import pyabc

    say = echo or (lambda _m: None)
    model, dist, obs, _targets = make_problem(spec)
    prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.lower, p.upper - p.lower) for p in spec.priors})
    client = dask_client if dask_client is not None else _dask_client(scheduler) if scheduler else None
    sampler, where, n_workers = _sampler(spec, client)
    np.random.seed(spec.seed)  # pyabc draws from numpy's global generator
    abc = pyabc.ABCSMC(model, prior, dist, population_size=spec.population, sampler=sampler,
                       eps=pyabc.QuantileEpsilon(alpha=0.5))
    h, hist = _open_history(abc, spec, model, obs, new, say)
    remaining = spec.generations - hist.done
    if remaining > 0:
        _say_estimate(spec, model, h, hist, where, n_workers, client is None, say)
    else:
        say(f"ABC-SMC: run {hist.run_id} in {spec.db} already has {hist.done} of {spec.generations} generations: "
            "nothing to run")
    t1 = time.perf_counter()
    if remaining > 0:
        h = abc.run(max_nr_populations=remaining, min_acceptance_rate=spec.min_acceptance_rate,
                    minimum_epsilon=spec.min_epsilon)
    wall = time.perf_counter() - t1
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= (hist.done if hist.resumed else -1)]  # a new run's prior sample (t = -1) counts too
    n_sims = int(pops["samples"].sum()) if len(pops) else 0
    if client is not None and dask_client is None:
        client.close()
    run_state = {k: hist.meta.get(k) for k in ("source_hash", "scenario_hash", "git_commit") if hist.meta.get(k)}
    return ABCRun(h, hist.run_id, wall, n_sims, hist.resumed, spec, obs, dist, run_state)


def _dask_client(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address`` (imported only when one is given)."""
    from distributed import Client

    return Client(address)


def _sampler(spec: ABCSpec, client: Any) -> tuple[Any, str, int]:
    """(pyabc sampler, where it runs, worker count): a Dask cluster's threads, ``spec.workers`` local processes,
    or this process."""
    import pyabc

    if client is not None:
        n_workers = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        return (pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=1),
                f"Dask scheduler {client.scheduler.address} ({n_workers} worker threads)", n_workers)
    if spec.workers > 1:
        return (pyabc.sampler.MulticoreEvalParallelSampler(n_procs=spec.workers), f"{spec.workers} local processes",
                spec.workers)
    return pyabc.sampler.SingleCoreSampler(), "this process", 1


@dataclass
class _History:
    """The run in the history database this call continues or starts."""

    run_id: int
    done: int
    resumed: bool
    meta: dict[str, Any]


def _open_history(abc: Any, spec: ABCSpec, model: Model, obs: dict, new: bool, say: Callable[[str], None]
                  ) -> tuple[Any, _History]:
    """Resume the database's run of this spec (unless ``new``) or start one. ABCError when the model's code or the
    resolved scenario changed since the run began and generations are left (a finished run is only written)."""
    spec.db.parent.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{spec.db}"
    fp = spec.fingerprint()
    state = code_and_scenario_state(model.base)
    stored = None if new else _stored_run(spec.db, fp)
    if stored is None:
        from sim.analysis.provenance import git_commit

        meta = {"aieco_fingerprint": fp, "spec": str(spec.source), **state, "git_commit": git_commit().get("commit") or ""}
        h = abc.new(db_url, obs, meta_info=meta)
        return h, _History(h.id, 0, False, meta)
    run_id, meta = stored
    h = abc.load(db_url, run_id)
    hist = _History(run_id, h.max_t + 1, True, meta)
    changed = [k for k in ("source_hash", "scenario_hash") if meta.get(k) and meta.get(k) != state[k]]
    if changed:
        what = " and ".join({"source_hash": "the model's code", "scenario_hash": "the resolved scenario"}[k]
                            for k in changed)
        if spec.generations - hist.done > 0:
            raise ABCError(f"{spec.db}: {what} changed since run {run_id} of this spec began; resuming would mix "
                           "two models' particles: rerun with --new (or point --db elsewhere)")
        say(f"note: {what} changed since run {run_id} began; nothing is left to run, so its particles are written "
            "as they are (their provenance: the database's run, recorded in the ensemble)")
    return h, hist


def _say_estimate(spec: ABCSpec, model: Model, h: Any, hist: _History, where: str, n_workers: int, local: bool,
                  say: Callable[[str], None]) -> None:
    """Time two simulations at the prior's centre and say the run's plan and its wall-time estimate (acceptance
    as in the last generation when resuming, else :data:`ASSUMED_ACCEPTANCE`; local workers limited to the cores
    the machine's load leaves free)."""
    import os

    centre = {p.name: (p.lower + p.upper) / 2 for p in spec.priors}
    t0 = time.perf_counter()
    n_pilot = 2
    for _ in range(n_pilot):
        model(centre)
    per_sim = (time.perf_counter() - t0) / n_pilot
    if hist.resumed:
        pops = h.get_all_populations()
        last = pops[pops["t"] == pops["t"].max()]
        rates = [float(last["particles"].iloc[0] / max(int(last["samples"].iloc[0]), 1))]
    else:
        rates = list(ASSUMED_ACCEPTANCE)
    eff, load_note = float(n_workers), ""
    if local:  # local processes share this machine's cores with whatever else runs on it
        free = max(0.5, (os.cpu_count() or 1) - max(0.0, os.getloadavg()[0] - 1.0))  # less the pilot itself
        if free < eff:
            eff = free
            load_note = f" (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: ~{eff:.1f} free)"
    remaining = spec.generations - hist.done
    est, sims = estimate_seconds(per_sim, spec.population, remaining, eff, rates, prior_sample=not hist.resumed)
    say(f"ABC-SMC: {len(spec.priors)} parameters, population {spec.population}, up to {spec.generations} "
        "generations (" + (f"resuming run {hist.run_id} after {hist.done} generations" if hist.resumed
                           else f"new run {hist.run_id}")
        + f"), {spec.replications} run(s) of {spec.months} months per simulation, on {where}")
    say(f"estimate: {per_sim:.2f} s per simulation (measured on {n_pilot}) x ~{sims} simulations ("
        + ("acceptance as in the last generation, " + f"{rates[0]:.3g}" if hist.resumed else
           "assumed acceptance " + ", ".join(f"{a:g}" for a in rates[:5]) + ", ... by generation")
        + f") / {eff:.1f} workers{load_note} = ~{est / 60:.1f} min wall time; history {spec.db}")


def code_and_scenario_state(scenario: Scenario) -> dict[str, str]:
    """``source_hash`` (the model's source files, :func:`sim.analysis.sweep.store.source_hash`) and ``scenario_hash`` (of
    the resolved scenario): what a resumed run must share with the one it continues."""
    from sim.analysis.sweep.store import source_hash

    resolved = {k: v for k, v in scenario.resolved_dict().items() if k != "label"}  # a label changes no run
    text = json.dumps(resolved, sort_keys=True, default=str)
    return {"source_hash": source_hash(), "scenario_hash": hashlib.sha256(text.encode()).hexdigest()[:16]}


def _stored_run(db: Path, fingerprint: str) -> tuple[int, dict] | None:
    """(id, meta info) of the latest run in ``db`` whose meta info holds ``fingerprint``; None when there is
    none."""
    if not db.is_file():
        return None
    import sqlalchemy as sa

    eng = sa.create_engine(f"sqlite:///{db}")
    try:
        with eng.connect() as c:
            rows = c.execute(sa.text("SELECT id, json_parameters FROM abc_smc ORDER BY id")).fetchall()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        eng.dispose()
    import ast

    found = None
    for rid, text in rows:
        if text and fingerprint in str(text):
            try:
                meta = ast.literal_eval(str(text))
            except (ValueError, SyntaxError):
                meta = {}
            found = (int(rid), meta if isinstance(meta, dict) else {})
    return found


