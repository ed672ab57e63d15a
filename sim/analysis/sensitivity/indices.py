"""The estimators on SALib: Sobol', Morris, delta and PAWN (with a dummy input), their seeds, the verdicts of the
convergence check, and reading a sweep for them.

Part of :mod:`sim.analysis.sensitivity` (see its docstring for the pipeline).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.sensitivity.options import (
    DUMMY,
    MIN_CONVERGENCE_BLOCKS,
    MORRIS_WIDE,
    NOISE_DIR,
    SWEEP_DIR,
    Options,
    OutputReport,
    SensitivityError,
)

# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------

def analysis_seed(base_seed: int, output: str, method: str) -> int:
    """A non-zero 31-bit seed for one analysis, derived from the spec's seed, the output and the method
    (SALib ignores ``seed=0``; numpy's legacy global seed must be below 2**32)."""
    key = zlib.crc32(f"{output}|{method}".encode())
    ss = np.random.SeedSequence(int(base_seed), spawn_key=(6, key))
    return int(ss.generate_state(1, dtype=np.uint32)[0] % (2**31 - 2)) + 1


@contextmanager
def _quiet_salib() -> Iterator[None]:
    """Contain SALib's side effects: warning filters and formatter, and numpy's global random state."""
    fmt = warnings.formatwarning
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield
    finally:
        warnings.formatwarning = fmt
        np.random.set_state(state)


def _is_constant(y: np.ndarray) -> bool:
    y = y[np.isfinite(y)]
    if y.size < 2:
        return True
    return float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.max(np.abs(y))))


def _rows(output: str, method: str, index: str, names: list[str], values: Any, conf: Any, conf_level: float,
          n: int, lows: Any = None, highs: Any = None) -> list[dict[str, Any]]:
    out = []
    values = np.asarray(values, dtype=float)
    conf = np.full(values.shape, np.nan) if conf is None else np.asarray(conf, dtype=float)
    for i, p in enumerate(names):
        v, c = float(values[i]), float(conf[i])
        lo = float(lows[i]) if lows is not None else v - c
        hi = float(highs[i]) if highs is not None else v + c
        out.append({"output": output, "method": method, "index": index, "parameter": p, "parameter2": None,
                    "value": v, "conf": c, "ci_low": lo, "ci_high": hi, "conf_level": conf_level, "n": n})
    return out


def _sobol(problem: dict, Y: np.ndarray, second: bool, opts: Options, seed: int, output: str, names: list[str],
           n: int) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    with _quiet_salib():
        S = sobol.analyze(problem, Y, calc_second_order=second, num_resamples=opts.num_resamples,
                          conf_level=opts.conf_level, seed=seed)
    rows = _rows(output, "sobol", "S1", names, S["S1"], S["S1_conf"], opts.conf_level, n)
    rows += _rows(output, "sobol", "ST", names, S["ST"], S["ST_conf"], opts.conf_level, n)
    if second:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                v, c = float(S["S2"][i, j]), float(S["S2_conf"][i, j])
                rows.append({"output": output, "method": "sobol", "index": "S2", "parameter": names[i],
                             "parameter2": names[j], "value": v, "conf": c, "ci_low": v - c, "ci_high": v + c,
                             "conf_level": opts.conf_level, "n": n})
    return rows


def _morris(problem: dict, X: np.ndarray, Y: np.ndarray, num_levels: int, opts: Options, seed: int, output: str,
            names: list[str], n: int) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    with _quiet_salib():
        S = morris.analyze(problem, X, Y, num_resamples=opts.num_resamples, conf_level=opts.conf_level,
                           num_levels=num_levels, seed=seed)
    rows = _rows(output, "morris", "mu_star", names, S["mu_star"], S["mu_star_conf"], opts.conf_level, n)
    rows += _rows(output, "morris", "mu", names, S["mu"], None, opts.conf_level, n)
    rows += _rows(output, "morris", "sigma", names, S["sigma"], None, opts.conf_level, n)
    return rows


def _with_dummy(X: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([X, rng.uniform(size=len(X))])


def _delta(X: np.ndarray, Y: np.ndarray, opts: Options, seed: int, output: str, names: list[str]
           ) -> list[dict[str, Any]]:
    """Borgonovo's delta (SALib 1.6: ``delta_raw``, the classic resampling; older: ``delta``) on the rows
    given, with a dummy input."""
    from SALib.analyze import delta

    Xd = _with_dummy(X, seed)
    k = Xd.shape[1]
    problem = {"num_vars": k, "names": [f"p{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    with _quiet_salib():
        S = delta.analyze(problem, Xd, Y, num_resamples=opts.second_resamples, conf_level=opts.conf_level,
                          seed=seed, method="delta")
    key = "delta_raw" if "delta_raw" in S else "delta"
    return _rows(output, "delta", "delta", [*names, DUMMY], S[key], S[f"{key}_conf"], opts.conf_level, len(Y))


def pawn_medians(X: np.ndarray, Y: np.ndarray, S: int = 10) -> np.ndarray:
    """PAWN index of each column of ``X``: the median over ``S`` equal-probability conditioning slices of
    the Kolmogorov-Smirnov distance between the output's distribution in the slice and overall. The same
    statistic as :func:`SALib.analyze.pawn.analyze` (same slices, same KS statistic; checked by the tests)
    without its p-values, fast enough to bootstrap."""
    Y = np.asarray(Y, dtype=float)
    ys = np.sort(Y)
    n = ys.size
    step = 1 / S
    seq = np.arange(0, 1 + step, step)  # as SALib
    out = np.full(X.shape[1], np.nan)
    for d in range(X.shape[1]):
        x = X[:, d]
        q = np.nanquantile(x, seq)
        ks = []
        for s in range(S):
            sel = np.sort(Y[(x >= q[s]) & (x < q[s + 1])])
            if sel.size == 0:
                continue
            allv = np.concatenate([sel, ys])
            f1 = np.searchsorted(sel, allv, side="right") / sel.size
            f2 = np.searchsorted(ys, allv, side="right") / n
            ks.append(float(np.max(np.abs(f1 - f2))))
        if ks:
            out[d] = float(np.median(ks))
    return out


def _pawn(X: np.ndarray, Y: np.ndarray, opts: Options, seed: int, output: str, names: list[str]
          ) -> list[dict[str, Any]]:
    """PAWN (median KS distance over 10 conditioning slices; :func:`SALib.analyze.pawn.analyze`) with a
    normal bootstrap interval (ours: SALib gives none; ``z * sd`` of the resampled indices, like SALib's
    Sobol' and Morris intervals -- a percentile interval would be shifted, because resampling with
    replacement inflates a KS distance) and a dummy input."""
    from SALib.analyze import pawn
    from scipy.stats import norm

    Xd = _with_dummy(X, seed)
    k = Xd.shape[1]
    problem = {"num_vars": k, "names": [f"p{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    rng = np.random.default_rng(seed)
    with _quiet_salib():
        value = np.asarray(pawn.analyze(problem, Xd, Y, S=10, seed=seed)["median"], dtype=float)
        boots = np.empty((opts.second_resamples, k))
        for b in range(opts.second_resamples):
            idx = rng.integers(len(Y), size=len(Y))
            boots[b] = pawn_medians(Xd[idx], Y[idx])
    z = float(norm.ppf(0.5 + opts.conf_level / 2))
    conf = z * np.nanstd(boots, axis=0, ddof=1)  # normal bootstrap interval, as SALib's Sobol'/Morris ones
    return _rows(output, "pawn", "pawn", [*names, DUMMY], value, conf, opts.conf_level, len(Y))


def _sobol_verdict(rep: OutputReport, full: pd.DataFrame, conv: pd.DataFrame, opts: Options) -> None:
    """Convergence verdict of a Sobol' analysis: intervals wide, S1 > ST beyond the intervals, drift."""
    f = full[full["index"].isin(["S1", "ST"])]
    wide = f[f["conf"] > opts.ci_wide]
    if len(wide):
        worst = wide.sort_values("conf", ascending=False).iloc[0]
        rep.warnings.append(f"intervals still wide: {len(wide)} of {len(f)} S1/ST half-widths exceed "
                            f"{opts.ci_wide:g} (largest ±{worst['conf']:.2f}, {worst['index']} of "
                            f"{worst['parameter']}); increase N")
    s1 = f[f["index"] == "S1"].set_index("parameter")
    st = f[f["index"] == "ST"].set_index("parameter")
    bad = [p for p in s1.index if s1.at[p, "ci_low"] > st.at[p, "ci_high"]]
    if bad:
        rep.warnings.append(f"S1 > ST beyond their intervals for {', '.join(bad)} (impossible in theory: "
                            f"estimation error; increase N)")
    ns = sorted(conv["n"].unique())
    if len(ns) >= 2:
        a = conv[conv["n"] == ns[-2]].set_index(["index", "parameter"])["value"]
        b = conv[conv["n"] == ns[-1]].set_index(["index", "parameter"])
        d = (b["value"] - a.reindex(b.index)).abs()
        moving = d[(d > opts.drift) & (d > b["conf"])]
        if len(moving):
            (ix, p), v = moving.idxmax(), moving.max()
            rep.warnings.append(f"indices still move between N={ns[-2]} and N={ns[-1]}: {len(moving)} change by "
                                f"more than {opts.drift:g} and their interval (largest {v:.2f}, {ix} of {p})")
    else:
        rep.notes.append("too few base samples for a convergence sequence")
    if np.isfinite(rep.noise_share) and rep.noise_share > 0:
        near = int((st["value"] <= 1.5 * rep.noise_share).sum())
        if near:
            rep.notes.append(f"{near} of {len(st)} parameters have ST within 1.5 x the replication-noise share "
                             f"({rep.noise_share:.2f}): no effect distinguishable from noise")
    rep.verdict = "not converged" if rep.warnings else "converged"


def _morris_verdict(rep: OutputReport, full: pd.DataFrame, conv: pd.DataFrame, opts: Options) -> None:
    """Convergence verdict of a Morris screening. Important factors: mu* at least 10% of the largest and at
    least twice the replication-noise floor (when known). Not converged when an important factor's mu*
    interval is wider than half its mu*, or the set of important factors changes between r/2 and r."""
    m = full[full["index"] == "mu_star"]
    floor = 2 * rep.mu_star_floor if np.isfinite(rep.mu_star_floor) else 0.0

    def important(c: pd.DataFrame) -> pd.DataFrame:
        return c[c["value"] >= max(0.1 * c["value"].max(), floor)]

    imp = important(m)
    wide = imp[imp["conf"] > MORRIS_WIDE * imp["value"]]
    if len(wide):
        rep.warnings.append(f"mu* intervals wide: {len(wide)} of the {len(imp)} important factors have a half-width "
                            f"above {MORRIS_WIDE:.0%} of their mu* (e.g. {wide.iloc[0]['parameter']}); add "
                            f"trajectories or replications")
    if floor > 0:
        below = int((m["value"] < floor).sum())
        if below:
            rep.notes.append(f"{below} of {len(m)} factors have mu* below twice the replication-noise floor "
                             f"({rep.mu_star_floor:.3g}): indistinguishable from noise")
    ns = sorted(conv["n"].unique())
    if len(ns) >= 2:
        a = set(important(conv[(conv["n"] == ns[-2]) & (conv["index"] == "mu_star")])["parameter"])
        b = set(important(conv[(conv["n"] == ns[-1]) & (conv["index"] == "mu_star")])["parameter"])
        if a != b:
            rep.warnings.append(f"the important factors change between r={ns[-2]} and r={ns[-1]} "
                                f"(gained: {', '.join(sorted(b - a)) or '-'}; lost: {', '.join(sorted(a - b)) or '-'})")
    else:
        rep.warnings.append(f"no convergence check: {int(m['n'].max()) if len(m) else 0} trajectories, and the "
                            f"check needs r/2 >= {MIN_CONVERGENCE_BLOCKS} (r >= {2 * MIN_CONVERGENCE_BLOCKS})")
        if len(rep.warnings) == 1:
            rep.verdict = "not checked"
            return
    rep.verdict = "not converged" if rep.warnings else "converged"


def _probe_variances(sweep_dir: Path, outputs: list[str]) -> dict[str, tuple[float, str]]:
    """Replication-noise variance of a single run, per output, from the noise probe beside the sweep
    (``../noise_probe``): the mean over the probe's points of the variance across their runs."""
    pdir = sweep_dir.parent / NOISE_DIR
    if sweep_dir.name != SWEEP_DIR or not (pdir / store.MANIFEST).is_file():
        return {}
    try:
        df = store.load_results(pdir, include_traceback=False)
    except store.StoreError:
        return {}
    df = df[df["status"] == "ok"]
    out: dict[str, tuple[float, str]] = {}
    for o in outputs:
        if o not in df.columns:
            continue
        g = df.groupby("point")[o]
        v = g.var(ddof=1)[g.count() >= 2].dropna()
        if len(v):
            out[o] = (float(v.mean()), f"noise probe ({len(v)} points x {int(g.count().max())} runs)")
    return out


def _check_layout(Ub: np.ndarray, membership: list[str], params: list[str], kind: str, where: Path) -> None:
    """Check that the design was drawn with these groups (or none): in a Saltelli block, row 1 + j is row A
    with group j's columns taken from row B; in a Morris trajectory each step moves exactly one group.
    Raises SensitivityError otherwise (analysing with other groups than the sweep's gives wrong indices)."""
    cols = [np.array([m == p for m in membership]) for p in params]
    msg = (f"{where}: the design was not drawn with {'these groups' if len(params) < len(membership) else 'ungrouped factors'}; "
           f"analyse with the groups the sweep was run with")
    if kind == "sobol":
        A, B = Ub[:, 0, :], Ub[:, -1, :]
        for j, c in enumerate(cols):
            expected = np.where(c, B, A)
            if not np.allclose(Ub[:, 1 + j, :], expected):
                raise SensitivityError(msg)
        return
    moved = np.abs(np.diff(Ub[: min(len(Ub), 20)], axis=1)) > 1e-12  # (trajectories, steps, factors)
    for t in moved:
        for step in t:
            if not any(np.array_equal(step, c) for c in cols):
                raise SensitivityError(msg)


def _read_sweep(sweep_dir: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    try:
        m = store.read_manifest(sweep_dir)
        df = store.load_results(sweep_dir, include_traceback=False)
        design = store.load_design(sweep_dir, unit=True)
    except store.StoreError as e:
        raise SensitivityError(str(e)) from None
    return m, df, design


