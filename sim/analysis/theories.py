"""The theories of the release decision tested against the patterns (issue 28; ``aieco validate --theories``).

Each theory present in a posterior ensemble (a particle's ``theory``, ``myopic`` when absent;
:mod:`sim.analysis.posterior`) runs at its own posterior: a posterior predictive check
(:func:`sim.analysis.posterior.validate_posterior`) on that theory's particles alone, with the same draws, runs and
seeds for every theory. :func:`theory_table` stacks their side-by-side tables (theory x pattern x row, each row
in sample, 2022-2024, or held out, involving 2025, with its strict verdict); :func:`theory_verdicts` gives, per
theory and pattern, the strict verdict in sample and held out; :func:`best_supported` ranks the theories by the
patterns they pass strictly in sample (ties broken by the ABC distance where the ensemble records one per theory).
The 2025 rows are reported for every theory and never used to choose (Railsback & Grimm, "Agent-Based and
Individual-Based Modeling", the chapter on theory development).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.analysis.validation_eci import row_counts

IN_SAMPLE, HELD_OUT = "in sample", "held out"
THEORY_COLUMNS = ("theory", "pattern", "kind", "item", "region", "year", "sample", "n_reps", "sim_median", "sim_lo",
                  "sim_hi", "empirical", "emp_lo", "emp_hi", "tolerance", "passed")
"""Columns of ``theories.csv``: the validation table's (:data:`sim.analysis.validation.TABLE_COLUMNS`) with the
theory first and ``sample`` ("in sample" or "held out") in place of ``role``."""


@dataclass
class TheoryValidation:
    """Outputs of :func:`validate_theories`: per theory its :class:`~sim.analysis.posterior.PosteriorValidation`,
    the stacked table, the verdicts by theory and pattern, and the ranking."""

    results: dict
    table: pd.DataFrame
    verdicts: pd.DataFrame
    ranking: pd.DataFrame


def validate_theories(ensemble, draws: int = 50, replications: int = 2, seed: int = 0, months: int = 48,
                      overrides: Sequence[str] = (), targets=None, theories: Sequence[str] | None = None,
                      progress: Callable[[int], None] | None = None) -> TheoryValidation:
    """Run each theory of ``ensemble`` (or of ``theories``) at its own posterior (``draws`` x ``replications`` runs,
    base seed ``seed``: the same seeds for every theory) and compare all with the targets."""
    from sim.analysis.posterior import validate_posterior
    from sim.analysis.validation import load_targets

    targets = targets if targets is not None else load_targets()
    results = {}
    for theory in theories or ensemble.theories:
        results[theory] = validate_posterior(ensemble.for_theory(theory), draws, replications, seed=seed,
                                             months=months, overrides=overrides, targets=targets, progress=progress)
    table = theory_table({t: r.table for t, r in results.items()})
    verdicts = theory_verdicts(table)
    return TheoryValidation(results, table, verdicts, best_supported(verdicts, _abc_distances(ensemble)))


def theory_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The validation tables of each theory (``{theory: table}``), stacked with :data:`THEORY_COLUMNS`."""
    frames = []
    for theory, t in tables.items():
        # a row involving 2025 ("held-out", or P8's pooled 2024-2025 "both") is held out
        f = t.assign(theory=theory, sample=t["role"].map(lambda r: IN_SAMPLE if r == "calibration" else HELD_OUT))
        frames.append(f[list(THEORY_COLUMNS)])
    if not frames:
        return pd.DataFrame(columns=list(THEORY_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    out["passed"] = out["passed"].astype("boolean")
    return out


def _strict(g: pd.DataFrame):
    """A set of rows passes strictly when it has rows and every one passes (a missing result is no pass); NA
    without rows."""
    if g.empty:
        return pd.NA
    crit, lev, c_ok, l_ok = row_counts(g)
    return bool(c_ok == len(crit) and l_ok == len(lev))


def theory_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Per theory and pattern: ``in_sample`` (every in-sample row passes), ``held_out`` (every held-out row
    passes), ``passed`` (every row), with the rows' counts (NA where the pattern has no such rows)."""
    rows = []
    for (theory, pattern), g in table.groupby(["theory", "pattern"], sort=False):
        ins, out = g[g["sample"] == IN_SAMPLE], g[g["sample"] == HELD_OUT]
        rows.append(dict(theory=theory, pattern=pattern, in_sample=_strict(ins), in_sample_rows=len(ins),
                         held_out=_strict(out), held_out_rows=len(out), passed=_strict(g)))
    out = pd.DataFrame(rows, columns=["theory", "pattern", "in_sample", "in_sample_rows", "held_out",
                                      "held_out_rows", "passed"])
    for c in ("in_sample", "held_out", "passed"):
        out[c] = out[c].astype("boolean")
    return out


def best_supported(verdicts: pd.DataFrame, distances: dict[str, float] | None = None) -> pd.DataFrame:
    """The theories ranked by the patterns they pass strictly in sample (most first), ties broken by the ABC
    distance (smaller first; NaN when the ensemble records none). Columns ``theory``, ``in_sample_passed``,
    ``held_out_passed``, ``abc_distance``, ``rank`` (1: the best-supported)."""
    distances = distances or {}
    rows = [dict(theory=t, in_sample_passed=int(g["in_sample"].fillna(False).sum()),
                 held_out_passed=int(g["held_out"].fillna(False).sum()),
                 abc_distance=float(distances.get(t, math.nan)))
            for t, g in verdicts.groupby("theory", sort=False)]
    out = pd.DataFrame(rows, columns=["theory", "in_sample_passed", "held_out_passed", "abc_distance"])
    key = out["abc_distance"].fillna(math.inf)
    out = out.assign(_key=key).sort_values(["in_sample_passed", "_key"], ascending=[False, True], kind="stable")
    out = out.drop(columns="_key").reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    return out


def _abc_distances(ensemble) -> dict[str, float]:
    """The ABC distance of each theory's fit, when the ensemble's provenance records one
    (``provenance["distance"]``: a number for a single-theory file or ``{theory: number}``)."""
    d = (ensemble.provenance or {}).get("distance")
    if isinstance(d, dict):
        return {str(k): float(v) for k, v in d.items() if isinstance(v, int | float)}
    if isinstance(d, int | float) and len(ensemble.theories) == 1:
        return {ensemble.theories[0]: float(d)}
    return {}


def theory_fits(ensemble) -> dict[str, dict]:
    """Per theory of ``ensemble``: its number of free parameters and, where the provenance records them, the
    generation and effective sample size (ESS) of its posterior (``provenance["theories"]`` of a merged file)."""
    prov = (ensemble.provenance or {}).get("theories", {})
    out = {}
    for t in ensemble.theories:
        own = prov.get(t, {}) if isinstance(prov, dict) else {}
        ess = own.get("ess", ensemble.ess if len(ensemble.theories) == 1 else None)
        out[t] = {"parameters": len(ensemble.for_theory(t).paths), "ess": ess, "generation": own.get("generation")}
    return out


def _rows(table: pd.DataFrame, theory: str, pattern: str, sample: str) -> str:
    """"8 rows" when all pass, "1 of 8 rows fails" otherwise ("no rows" when the pattern has none here)."""
    g = table[(table["theory"] == theory) & (table["pattern"] == pattern) & (table["sample"] == sample)]
    n, bad = len(g), int((~g["passed"].astype(bool)).sum())
    if n == 0:
        return "no rows"
    rows = f"{n} row{'' if n == 1 else 's'}"
    return rows if bad == 0 else f"{bad} of {rows} {'fails' if bad == 1 else 'fail'}"


def to_markdown(result: TheoryValidation, title: str = "Theories of the release decision", context: str = "",
                fits: dict[str, dict] | None = None) -> str:
    """A short report: ``context`` (what was run), the ranking (with each theory's parameters and posterior ESS from
    ``fits``, :func:`theory_fits`), then each theory's verdicts by pattern (in sample, held out)."""
    fits = fits or {}
    lines = [f"# {title}", "", *([context, ""] if context else []),
             "The best-supported theory passes the most patterns strictly in sample (2022-2024); "
             "ties are broken by the ABC distance. Held-out rows (2025) are reported, never used to choose. The "
             "verdicts are those of posterior predictive intervals, so they depend on the number of draws and runs "
             "(use 100 draws x 2 runs or more to choose, and check the ranking with another --seed); the ABC "
             "distance is the calibration's (the epsilon of each theory's posterior generation), not these runs'. "
             "A wider predictive interval overlaps the data more easily: a theory whose posterior is spread (few "
             "effective particles, many parameters) is favoured by the verdicts, not only by its fit.", "",
             "| rank | theory | patterns passed in sample | held out | ABC distance | parameters | posterior ESS |",
             "|---|---|---|---|---|---|---|"]
    n_in = result.verdicts.groupby("theory")["in_sample"].count()
    n_out = result.verdicts.groupby("theory")["held_out"].count()
    for r in result.ranking.itertuples(index=False):
        dist = "" if math.isnan(r.abc_distance) else f"{r.abc_distance:.4g}"
        f = fits.get(r.theory, {})
        ess = "" if f.get("ess") is None else f"{float(f['ess']):.1f}"
        lines.append(f"| {r.rank} | {r.theory} | {r.in_sample_passed} of {n_in.get(r.theory, 0)} | "
                     f"{r.held_out_passed} of {n_out.get(r.theory, 0)} | {dist} | {f.get('parameters', '')} | "
                     f"{ess} |")
    lines += ["", "Patterns (docs/ODD.md, section 1): P1 open share of releases by region; P2 open-closed lag in "
              "training compute; P3 frontier compute growth; P4 developers outside China on Chinese open models "
              "rising (direction); P5 the best open model's country; P6 open-closed and P7 US-China lags on Epoch's "
              "Capabilities Index; P8 named labs' strategies.", "",
              "| theory | pattern | in sample | held out |", "|---|---|---|---|"]

    def mark(v) -> str:
        return "n/a" if pd.isna(v) else ("pass" if v else "FAIL")

    order = {t: k for k, t in enumerate(result.ranking["theory"])}  # the verdicts in the ranking's order
    verdicts = result.verdicts.sort_values("theory", key=lambda c: c.map(order), kind="stable")
    for v in verdicts.itertuples(index=False):
        lines.append(f"| {v.theory} | {v.pattern} | {mark(v.in_sample)} "
                     f"({_rows(result.table, v.theory, v.pattern, IN_SAMPLE)}) | {mark(v.held_out)} "
                     f"({_rows(result.table, v.theory, v.pattern, HELD_OUT)}) |")
    return "\n".join(lines) + "\n"
