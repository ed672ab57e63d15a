"""Running a scenario: replications with independent seeds, and the output folder of a run.

A replication's seed is derived from the scenario seed with numpy's ``SeedSequence`` keyed by the
replication index, so replication ``r`` has the same seed whatever the number of replications, and two
scenarios run with the same base seed use common random numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sim import REGIONS
from sim.analysis.provenance import base_manifest, write_atomic, write_json_atomic
from sim.model.ecosystem import EcosystemModel
from sim.model.metrics import metric_label, metric_unit, summarize
from sim.scenario.schema import Scenario

OUTPUT_TABLES = ("timeseries", "labs", "releases", "summary")

RUN_TABLE_METRICS: tuple[tuple[str, int], ...] = (
    *((f"open_share_{r}", 2) for r in REGIONS), ("open_closed_lag_months", 1), ("us_cn_gap_oom", 2),
    ("us_cn_gap_months", 1), ("noncn_on_cn_open", 3))
"""The metrics of a run's headline table (printed by ``aieco run``, saved as ``headline.csv``/``.md``), each
with the decimals it is shown with."""


def headline_table(summary: pd.DataFrame) -> pd.DataFrame:
    """A run's headline table, the numbers ``aieco run`` prints: per metric of :data:`RUN_TABLE_METRICS` at the
    horizon, its label and unit (:data:`sim.model.metrics.METRIC_LABELS`), the replications with a finite value,
    the median, the 5% and 95% quantiles across replications (the spread; NaN with one replication) and the 90%
    bootstrap confidence interval of the median (:func:`sim.analysis.precision.bootstrap_ci`; NaN with one).

    summary : one row per replication, the columns of :data:`sim.model.metrics.SUMMARY_METRICS`."""
    from sim.analysis.precision import bootstrap_ci

    rows = []
    for metric, digits in RUN_TABLE_METRICS:
        v = summary[metric].to_numpy(float)
        v = v[np.isfinite(v)]
        many = v.size > 1
        lo, hi = np.quantile(v, [0.05, 0.95]) if many else (np.nan, np.nan)
        est, ci_lo, ci_hi = bootstrap_ci(v, "median") if many else (np.nan, np.nan, np.nan)
        rows.append({"metric": metric, "label": metric_label(metric, short=True), "unit": metric_unit(metric),
                     "replications": int(v.size), "median": float(np.median(v)) if v.size else np.nan,
                     "spread_5": float(lo), "spread_95": float(hi), "ci_median_lo": float(ci_lo),
                     "ci_median_hi": float(ci_hi), "digits": digits})
    return pd.DataFrame(rows)


def headline_markdown(table: pd.DataFrame, title: str) -> str:
    """:func:`headline_table` as a Markdown table under ``title``, with the printed table's rounding."""
    def num(x: float, d: int) -> str:
        return "n/a" if not np.isfinite(x) else f"{x:.{d}f}"

    lines = [f"# {title}", "", "| metric | unit | median [90% spread] | 90% CI of median |", "|---|---|---|---|"]
    for r in table.itertuples():
        spread = f" [{num(r.spread_5, r.digits)}, {num(r.spread_95, r.digits)}]" if r.replications > 1 else ""
        ci = f"[{num(r.ci_median_lo, r.digits)}, {num(r.ci_median_hi, r.digits)}]" if r.replications > 1 else ""
        lines.append(f"| {r.label} | {r.unit} | {num(r.median, r.digits)}{spread} | {ci} |")
    lines += ["", "The spread is where 90% of the replications' values lie; the CI is the 90% bootstrap confidence "
              "interval of the median (`headline.csv` has the unrounded numbers)."]
    return "\n".join(lines) + "\n"


def seed_for(base_seed: int, *key: int) -> int:
    """A 63-bit seed for the run keyed by ``key`` (e.g. (replication,) or (point, replication)), derived
    from ``base_seed`` with ``numpy.random.SeedSequence(base_seed, spawn_key=key)``."""
    ss = np.random.SeedSequence(int(base_seed), spawn_key=tuple(int(k) for k in key))
    return int(ss.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1))


@dataclass
class RunResult:
    """The outputs of one run: time series, lab panel, release log (DataFrames) and summary metrics."""

    seed: int
    timeseries: pd.DataFrame
    labs: pd.DataFrame
    releases: pd.DataFrame
    summary: dict[str, float]


def run_one(scenario: Scenario, seed: int, roster: pd.DataFrame | None = None) -> RunResult:
    """Run one replication of ``scenario`` with ``seed`` and return its outputs."""
    model = EcosystemModel(scenario, seed=seed, roster=roster).run()
    ts, rel = model.timeseries(), model.release_log()
    return RunResult(seed, ts, model.lab_panel(), rel, summarize(ts, rel))


@dataclass
class Replications:
    """Outputs of R replications, stacked with a ``replication`` column (tables) and their seeds."""

    scenario: Scenario
    seeds: list[int]
    timeseries: pd.DataFrame
    labs: pd.DataFrame
    releases: pd.DataFrame
    summary: pd.DataFrame
    wall_seconds: float

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def run_replications(scenario: Scenario, replications: int = 1, base_seed: int | None = None,
                     progress: Callable[[int], None] | None = None, first: int = 0) -> Replications:
    """Run ``replications`` independent replications ``first..first+replications-1`` (seeds
    ``seed_for(base_seed, r)``; the tables' ``replication`` column holds r, so a later batch with ``first`` = the
    replications done continues a run exactly: :func:`concat_replications`).

    base_seed defaults to ``scenario.seed``; ``progress(k)`` is called after the k-th replication of this call
    (0-based). Raises ValueError for ``replications < 1`` or ``first < 0`` and RosterError for a bad roster."""
    if first < 0:
        raise ValueError(f"first must be >= 0, got {first}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    from sim.model.labs import check_roster_start, load_roster

    roster = load_roster(scenario.roster_path())
    check_roster_start(roster, scenario.start, scenario.roster_path())
    base = scenario.seed if base_seed is None else base_seed
    seeds = [seed_for(base, r) for r in range(first, first + replications)]
    t0 = time.perf_counter()
    results = []
    for r, seed in enumerate(seeds):
        results.append(run_one(scenario, seed, roster))
        if progress:
            progress(r)
    return stack_replications(scenario, results, time.perf_counter() - t0, first=first)


def stack_replications(scenario: Scenario, results: list[RunResult], wall_seconds: float,
                       first: int = 0) -> Replications:
    """:class:`Replications` from the runs of replications ``first..first+len(results)-1`` in order (each table
    gains a ``replication`` column). Raises ValueError for an empty list."""
    if not results:
        raise ValueError("need at least one replication")
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in OUTPUT_TABLES}
    for r, res in enumerate(results, start=first):
        parts["timeseries"].append(res.timeseries.assign(replication=r))
        parts["labs"].append(res.labs.assign(replication=r))
        parts["releases"].append(res.releases.assign(replication=r))
        parts["summary"].append(pd.DataFrame([{"replication": r, "seed": res.seed, **res.summary}]))
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    return Replications(scenario, [res.seed for res in results], tables["timeseries"], tables["labs"],
                        tables["releases"], tables["summary"], wall_seconds)


def concat_replications(a: Replications, b: Replications) -> Replications:
    """Replications ``a`` followed by ``b`` (a later batch of the same scenario, e.g. from
    ``run_replications(..., first=len(a.seeds))``): tables stacked, seeds joined, wall times added."""
    tables = {k: pd.concat([a.table(k), b.table(k)], ignore_index=True) for k in OUTPUT_TABLES}
    return Replications(a.scenario, [*a.seeds, *b.seeds], tables["timeseries"], tables["labs"], tables["releases"],
                        tables["summary"], a.wall_seconds + b.wall_seconds)


def write_run(out_dir: str | Path, reps: Replications, scenario_file: str | None = None,
              overrides: list[str] | None = None, csv: bool = False, extra: dict | None = None) -> Path:
    """Write a run folder: ``timeseries.parquet``, ``labs.parquet``, ``releases.parquet``,
    ``summary.parquet``, the headline table as printed (``headline.csv`` and ``headline.md``,
    :func:`headline_table`) and ``manifest.json`` (resolved scenario, seeds, versions, git commit, command,
    wall time, and ``overrides``: the changes to the scenario file, e.g. ``["governments.US.leakage=0.6"]``,
    which figure captions name; ``extra`` entries, e.g. ``precision``); with ``csv`` also each table as
    ``<table>.csv``. Returns the folder.

    Raises OSError when the folder cannot be written (a full disk); no temporary file is left behind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_TABLES:
        table = reps.table(name)
        write_atomic(out / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp, index=False))
        if csv:
            write_atomic(out / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
    manifest = base_manifest("run")
    manifest.update({
        "scenario_file": scenario_file, "scenario": reps.scenario.resolved_dict(),
        "replications": len(reps.seeds), "base_seed": reps.scenario.seed, "seeds": reps.seeds,
        "seed_rule": "numpy.random.SeedSequence(base_seed, spawn_key=(replication,)).generate_state(1, uint64) & (2**63-1)",
        "wall_seconds": round(reps.wall_seconds, 3), "tables": [f"{n}.parquet" for n in OUTPUT_TABLES],
        "overrides": list(overrides or []), **(extra or {})})
    head = headline_table(reps.table("summary"))
    write_atomic(out / "headline.csv", lambda tmp: head.drop(columns="digits").to_csv(tmp, index=False))
    changed = f" ({', '.join(overrides)})" if overrides else ""
    title = (f"{reps.scenario.name}{changed}: {reps.scenario.start} + {reps.scenario.months} months, "
             f"{len(reps.seeds)} replication(s)")
    write_atomic(out / "headline.md", lambda tmp: Path(tmp).write_text(headline_markdown(head, title), encoding="utf-8"))
    write_json_atomic(out / "manifest.json", manifest)
    return out


class RunFolderError(ValueError):
    """A folder is not a readable ``aieco run`` results folder; the message names the file and the field."""


@dataclass
class RecordedRun:
    """What a run folder's manifest says was run: enough to run it again (:func:`read_run`)."""

    folder: Path
    scenario: Scenario
    replications: int
    base_seed: int
    scenario_file: str | None
    overrides: list[str]
    manifest: dict


def read_run(folder: str | Path) -> RecordedRun:
    """The run recorded in ``folder/manifest.json`` (written by :func:`write_run`): its resolved scenario
    (validated again, so a manifest edited by hand is checked like a scenario file), replications and
    base seed. Raises RunFolderError naming the file and the field."""
    from sim.analysis.provenance import read_manifest_file
    from sim.scenario.schema import ScenarioError, scenario_from_dict

    folder = Path(folder)
    f = folder / "manifest.json"
    m = read_manifest_file(folder, RunFolderError, "a results folder of aieco run")
    if m.get("kind") != "run":
        raise RunFolderError(f"{f}: field 'kind': {m.get('kind')!r}; --from takes the folder of one `aieco run`")
    rec = _check_run_manifest(f, m)
    try:
        sc = scenario_from_dict(m["scenario"], source=f"{f} (field 'scenario')")
    except ScenarioError as e:
        raise RunFolderError(str(e)) from None
    if sc.seed != rec.base_seed:
        raise RunFolderError(f"{f}: field 'base_seed': {rec.base_seed} differs from the scenario's seed {sc.seed} "
                             "(the run's base seed is its scenario's)")
    expected = [seed_for(rec.base_seed, r) for r in range(rec.replications)]
    for r, (got, want) in enumerate(zip(rec.seeds, expected, strict=True)):
        if got != want:
            raise RunFolderError(f"{f}: field 'seeds[{r}]': {got} is not replication {r}'s seed {want} "
                                 f"(seed_for(base_seed={rec.base_seed}, {r}); the manifest was edited)")
    return RecordedRun(folder, sc, rec.replications, rec.base_seed, rec.scenario_file, list(rec.overrides), m)


def _check_run_manifest(f: Path, m: dict) -> _RunManifest:
    """The fields of a run manifest ``m`` (read from ``f``) that a rerun uses, each checked for its type and
    range (pydantic, strict: ``"1"`` is not 1, ``true`` is not 1); seeds one integer per replication. Raises
    RunFolderError naming the file, the field and what is allowed."""
    from pydantic import ValidationError

    try:
        rec = _RunManifest.model_validate(m)
    except ValidationError as e:
        err = e.errors()[0]
        loc = "".join(f"[{x}]" if isinstance(x, int) else (f".{x}" if i else str(x)) for i, x in enumerate(err["loc"]))
        got = repr(err.get("input"))
        raise RunFolderError(f"{f}: field {loc!r}: {err['msg']}" + (f" (got {got})" if len(got) <= 60 else "")
                             + "; a run manifest as aieco run wrote it is needed") from None
    if len(rec.seeds) != rec.replications:
        raise RunFolderError(f"{f}: field 'seeds': {len(rec.seeds)} seed(s) for {rec.replications} replication(s); "
                             "one seed per replication is needed")
    return rec


class _RunManifest(BaseModel):
    """The fields of a run's manifest.json that ``--from`` relies on (the others are provenance)."""

    model_config = ConfigDict(strict=True, extra="allow")
    scenario: dict
    replications: int = Field(ge=1)
    base_seed: int = Field(ge=0, le=2**63 - 1)
    seeds: list[Annotated[int, Field(ge=0, le=2**63 - 1)]]
    scenario_file: str | None = None
    overrides: list[str] = []
    tables: list[str] | None = None


def table_differences(a: str | Path, b: str | Path) -> list[str]:
    """The tables (:data:`OUTPUT_TABLES`) of run folder ``b`` that differ from those of ``a``, each with
    how (missing, shape, columns, values): empty when every table is identical, value for value."""
    out = []
    for name in OUTPUT_TABLES:
        fa, fb = Path(a) / f"{name}.parquet", Path(b) / f"{name}.parquet"
        if not fa.is_file() or not fb.is_file():
            out.append(f"{name}: missing in {fa.parent if not fa.is_file() else fb.parent}")
            continue
        da, db = pd.read_parquet(fa), pd.read_parquet(fb)
        if list(da.columns) != list(db.columns):
            out.append(f"{name}: columns differ")
        elif da.shape != db.shape:
            out.append(f"{name}: {da.shape[0]} rows vs {db.shape[0]}")
        elif not da.equals(db):
            bad = [c for c in da.columns if not da[c].equals(db[c])]
            out.append(f"{name}: values differ in {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}")
    return out


def run_precision(summary: pd.DataFrame, rel: float, metrics: tuple[str, ...] | None = None) -> dict[str, dict]:
    """Whether the median across replications of each of ``metrics`` (default the headline metrics) in ``summary``
    (one row per replication) is known to relative precision ``rel``: the half-width of its 90% bootstrap CI is at
    most ``rel x max(|median|, floor)`` (:mod:`sim.analysis.precision`). Returns metric -> status."""
    from sim.analysis.precision import bootstrap_ci, metric_floor, precision_status
    from sim.model.metrics import HEADLINE_METRICS

    cis = {}
    for m in metrics or HEADLINE_METRICS:
        est, lo, hi = bootstrap_ci(summary[m].to_numpy(float), "median")
        cis[m] = (est, lo, hi, metric_floor(m))
    return precision_status(cis, rel)


def run_until_precise(scenario: Scenario, replications: int, rel: float, max_replications: int,
                      progress: Callable[[int, int], None] | None = None,
                      metrics: tuple[str, ...] | None = None) -> tuple[Replications, dict[str, dict], list[int]]:
    """``replications`` replications, then batches (:func:`sim.analysis.precision.next_batch`; replication r always has seed
    ``seed_for(scenario.seed, r)``) until every metric's median is precise (:func:`run_precision`) or
    ``max_replications`` is reached. progress(done, cap) is called after each batch. Returns (replications, the
    last precision status (each with ``reached_at``: the replications after the first batch that reached it, None
    if none did), replications after each batch). Raises ValueError for rel <= 0 or max_replications <
    replications; RosterError for a bad roster."""
    from sim.analysis.precision import check_batch_args, until_precise

    check_batch_args(rel, replications, max_replications)
    return until_precise(
        run_replications(scenario, replications),
        lambda reps: (run_precision(reps.summary, rel, metrics), len(reps.seeds), reps),
        lambda reps, n, more: concat_replications(reps, run_replications(scenario, more, first=n)),
        max_replications, progress)
