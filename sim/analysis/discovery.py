"""Scenario discovery on sweep results: in which region of the uncertainties and levers does an outcome occur?

Sensitivity analysis asks how much each input moves an output; scenario discovery (Bryant and Lempert 2010)
asks where, in the space of inputs, a policy-relevant outcome happens. A condition on the summary metrics
(``noncn_on_cn_open_mean12 > 0.3``) marks each run of a sweep as a case of interest or not; the factors of
the sweep (uncertainties and levers, ``kind = "lever"`` in the spec) are the inputs. The algorithms are EMA
Workbench's (Kwakkel 2017, ``ema_workbench.analysis``), which wraps scikit-learn:

- **PRIM** (Friedman and Fisher 1999): peel the input box from its sides, a few percent of the runs at a
  time, towards a region dense in cases of interest, then paste back; every step of the peeling trajectory
  is a candidate box with its coverage (share of all cases of interest inside), density (share of the runs
  inside that are of interest), mass (share of all runs inside) and number of restricted factors. The
  chosen box is the one of highest coverage among those that reach the density threshold (ties: higher
  density, then fewer restrictions); its limits come with one-sided binomial quasi-p-values per restricted
  side (Bryant and Lempert 2010): the chance that the restriction's gain in density is luck.
- **CART** (Breiman et al. 1984): a classification tree whose leaves are boxes (``mass_min`` the smallest
  leaf, as a share of the runs); the chosen leaf is picked by the same rule.
- **Feature scoring**: the impurity importance of each factor in an extra-trees classifier (Geurts et al.
  2006; EMA's ``get_ex_feature_scores``), a first look at which inputs matter for the condition at all.

:func:`discover` reads a sweep folder, evaluates the condition (:func:`evaluate_condition`: a restricted
expression over metric names, evaluated by ``pandas.DataFrame.eval``) and runs the method;
:func:`write_results` writes its tables and a manifest (``kind = "discovery"``); the figures are in
:mod:`sim.plots.discovery`. Each run of the sweep is one case (replications of a point are separate cases).
Same inputs and seed, same numbers.

Layering: analysis, beside :mod:`sim.analysis.sensitivity`; imports the sweep store, never the CLI or plots.
"""

from __future__ import annotations

import ast
import difflib
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.analysis.sweep.store as store
from sim.analysis.provenance import base_manifest, file_sha256, package_versions, write_json_atomic

METHODS = ("prim", "cart")
"""Box-finding methods: PRIM's peeling trajectory, or a CART tree's leaves."""

INPUTS = ("all", "uncertainties", "levers")
"""Which factors are the inputs: all of them, or only those of one kind (the spec's ``kind``)."""

ANALYSIS_PACKAGES = ("ema_workbench", "scikit-learn")
"""Packages the analysis uses, whose versions the manifest records beside the simulation's."""

MANIFEST = "manifest.json"
TABLES = {"candidates": "candidates.csv", "limits": "limits.csv", "scores": "scores.csv", "cases": "cases.parquet",
          "splits": "cart_splits.csv", "tree": "cart_tree.txt"}
"""The files :func:`write_results` writes (CART's splits and tree only for ``method = "cart"``)."""

MIN_CASES = 5
"""Fewer cases of interest (or of no interest) than this give a note: boxes on so few cases are noise."""

_ALLOWED_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Invert,
                  ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitAnd, ast.BitOr, ast.Compare, ast.Lt,
                  ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.Name, ast.Load, ast.Constant)
_EXAMPLE = "e.g. 'noncn_on_cn_open_mean12 > 0.3' or 'us_cn_gap_months_mean12 < 9 and open_share_US_mean12 < 0.2'"


class DiscoveryError(ValueError):
    """Bad input to scenario discovery: not a sweep folder, an invalid or trivial condition, an unknown
    metric or option. The message names what is allowed."""


@dataclass
class Options:
    """Settings of :func:`discover`.

    method : ``"prim"`` or ``"cart"`` (:data:`METHODS`).
    threshold : density (0-1) a chosen box must reach; when none does, the densest box is chosen (a note).
    peel_alpha, paste_alpha : share of the runs in the box peeled off (pasted back) per PRIM step.
    mass_min : PRIM stops peeling, and CART stops splitting, at boxes holding this share of the runs.
    box : report this box of the PRIM trajectory (or CART leaf id) instead of the chosen one.
    qp_max : PRIM: restrictions of the chosen box whose quasi-p-values all exceed this are dropped, the
        least significant first (:func:`prune`); 1 keeps every restriction. Not applied to a given ``box``.
    inputs : ``"all"``, ``"uncertainties"`` or ``"levers"`` (:data:`INPUTS`).
    seed : random state of the extra trees and of CART's tie-breaking.
    n_trees : trees of the extra-trees feature scoring."""

    method: str = "prim"
    threshold: float = 0.8
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    box: int | None = None
    qp_max: float = 0.05
    inputs: str = "all"
    seed: int = 0
    n_trees: int = 100

    def check(self) -> None:
        """Raise DiscoveryError for a value outside its range, naming the allowed ones."""
        if self.method not in METHODS:
            raise DiscoveryError(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.inputs not in INPUTS:
            raise DiscoveryError(f"inputs {self.inputs!r} is not one of {', '.join(INPUTS)}")
        for name, lo, hi in (("threshold", 0.0, 1.0), ("qp_max", 0.0, 1.0), ("peel_alpha", 0.001, 0.5), ("paste_alpha", 0.001, 0.5),
                             ("mass_min", 0.001, 0.5)):
            v = getattr(self, name)
            open_low = name in ("threshold", "qp_max")
            if not lo < v <= hi if open_low else not lo <= v <= hi:
                raise DiscoveryError(f"{name} = {v} is outside its allowed range ({lo}, {hi}]"
                                     if open_low else f"{name} = {v} is outside [{lo}, {hi}]")
        if self.n_trees < 1:
            raise DiscoveryError(f"n_trees = {self.n_trees}: at least 1")


@dataclass
class DiscoveryResult:
    """What :func:`discover` found.

    candidates : one row per candidate box (PRIM: the peeling trajectory in order, then the boxes made by
        dropping insignificant restrictions, :func:`prune`; CART: the leaves): id, coverage, density, mass,
        res_dim (restricted factors), n (runs inside), k (cases of interest inside), pruned (made by
        :func:`prune`), chosen (bool).
    limits : the chosen box, one row per input factor: factor, role, type (numeric or categorical),
        lower, upper (numeric: the box's limits; categorical: NaN), levels (categorical: the levels kept,
        ``|``-separated), data_min, data_max (the sweep's range), restricted_lower, restricted_upper (bool),
        qp_lower, qp_upper (quasi-p-values of the restricted sides; NaN otherwise, and always for CART),
        restricted (either side).
    scores : factor, role, score (extra-trees importance; they sum to 1), rank (1 = most important).
    cases : point, replication, the factors, the metrics the condition uses, of_interest, in_box.
    splits : CART only: node, depth, factor, threshold, n, k, density of every split node (root first).
    tree : CART only: the tree as text (scikit-learn's ``export_text``)."""

    sweep: Path
    where: str
    options: Options
    metrics_used: list[str]
    candidates: pd.DataFrame
    limits: pd.DataFrame
    scores: pd.DataFrame
    cases: pd.DataFrame
    chosen: int
    splits: pd.DataFrame = field(default_factory=pd.DataFrame)
    tree: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def box(self) -> dict[str, float]:
        """coverage, density, mass, res_dim, n, k of the chosen box."""
        row = self.candidates.set_index("id").loc[self.chosen]
        return {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim", "n", "k")}

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    @property
    def n_interest(self) -> int:
        return int(self.cases["of_interest"].sum())

    def describe_box(self) -> str:
        """The chosen box in words: its restrictions, then coverage, density and mass."""
        b = self.box
        parts = [limit_text(r) for r in self.limits[self.limits["restricted"]].itertuples()]
        free = list(self.limits.loc[~self.limits["restricted"], "factor"])
        rule = " and ".join(parts) if parts else "no restriction (the whole input space)"
        return (f"{rule}{'; unrestricted: ' + ', '.join(free) if free else ''}. Coverage {b['coverage']:.2f} "
                f"({int(b['k'])} of {self.n_interest} cases of interest are inside), density {b['density']:.2f} "
                f"({int(b['k'])} of the {int(b['n'])} runs inside are of interest, against "
                f"{self.n_interest / self.n_cases:.2f} overall), mass {b['mass']:.2f}.")


def limit_text(row: Any) -> str:
    """One restriction of a box in words: ``x1 >= 0.706``, ``0.2 <= x <= 0.5``, ``lab in {a, b}``; with the
    quasi-p-values where known."""
    def qp(v: float) -> str:
        return f"qp {v:.1g}" if v == v else ""

    if row.type == "categorical":
        return f"{row.factor} in {{{row.levels.replace('|', ', ')}}}"
    lo, hi = row.restricted_lower, row.restricted_upper
    qps = [q for q in (qp(row.qp_lower) if lo else "", qp(row.qp_upper) if hi else "") if q]
    tail = f" ({', '.join(qps)})" if qps else ""
    if lo and hi:
        return f"{row.lower:.3g} <= {row.factor} <= {row.upper:.3g}{tail}"
    return (f"{row.factor} >= {row.lower:.3g}" if lo else f"{row.factor} <= {row.upper:.3g}") + tail


# ---------------------------------------------------------------------------------------------
# The condition
# ---------------------------------------------------------------------------------------------

def condition_names(where: str, metrics: list[str], factors: list[str] = ()) -> list[str]:
    """The metric names a condition uses, after checking that it is a plain expression: comparisons,
    ``and``/``or``/``not`` (or ``&``, ``|``, ``~``), arithmetic and numbers over the metric names, nothing
    else (no calls, attributes, ``@`` variables or strings). Raises DiscoveryError naming the allowed metrics
    (and saying so when a name is one of the sweep's ``factors``: the condition is about outcomes)."""
    if not isinstance(where, str) or not where.strip():
        raise DiscoveryError(f"--where: give a condition on the sweep's metrics, {_EXAMPLE}")
    try:
        tree = ast.parse(where.strip(), mode="eval")
    except SyntaxError as e:
        raise DiscoveryError(f"--where {where!r}: not a valid condition ({e.msg}); write a comparison of metrics, "
                             f"{_EXAMPLE}") from None
    names: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or (
                isinstance(node, ast.Constant) and not isinstance(node.value, int | float | bool)):
            what = type(node).__name__ if not isinstance(node, ast.Constant) else f"the constant {node.value!r}"
            raise DiscoveryError(f"--where {where!r}: {what} is not allowed; a condition compares metrics with "
                                 f"numbers (<, <=, >, >=, ==, !=), combined with and, or, not, and + - * /; {_EXAMPLE}")
        if isinstance(node, ast.Name):
            names.append(node.id)
    for n in dict.fromkeys(names):
        if n in metrics:
            continue
        if n in factors:
            raise DiscoveryError(f"--where: {n!r} is a factor of the sweep (an input), not an outcome; the condition "
                                 f"picks outcomes by the metrics the sweep recorded: {', '.join(metrics)}")
        close = difflib.get_close_matches(n, metrics, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DiscoveryError(f"--where: unknown metric {n!r}{hint} (the sweep recorded: {', '.join(metrics)})")
    if not names:
        raise DiscoveryError(f"--where {where!r}: the condition uses no metric; {_EXAMPLE}")
    return list(dict.fromkeys(names))


def _check_arithmetic(df: pd.DataFrame, where: str) -> None:
    """Raise DiscoveryError when an arithmetic part of the condition ``where`` is not a finite number in some run
    of ``df``: a division by zero (named, with the runs where the divisor is 0), or another part that gives NaN or
    infinity; a comparison with NaN would otherwise be silently false (or ``!=`` true) in those runs."""
    def values(node: ast.AST) -> np.ndarray:
        with np.errstate(all="ignore"):
            v = df.eval(ast.unparse(node), engine="python")
        return np.broadcast_to(np.asarray(v, dtype=float), (len(df),))

    for node in ast.walk(ast.parse(where.strip(), mode="eval")):
        if not isinstance(node, ast.BinOp | ast.UnaryOp):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            zero = values(node.right) == 0
            if zero.any():
                raise DiscoveryError(f"--where {where!r}: division by zero: {ast.unparse(node.right)!r} is 0 in "
                                     f"{int(zero.sum())} of {len(df)} runs, so {ast.unparse(node)!r} is not a number "
                                     "there; divide by something that is never 0")
        bad = ~np.isfinite(values(node))
        if bad.any():
            raise DiscoveryError(f"--where {where!r}: {ast.unparse(node)!r} is not a finite number in {int(bad.sum())} "
                                 f"of {len(df)} runs (NaN or infinity); a comparison with it would be silently false")


def evaluate_condition(df: pd.DataFrame, where: str, metrics: list[str], factors: list[str] = ()) -> pd.Series:
    """The condition ``where`` on each row of ``df`` (a boolean Series), evaluated by ``DataFrame.eval``
    over the metric columns only, after :func:`condition_names` has checked it. Raises DiscoveryError when it
    does not give true/false (e.g. a bare metric or a sum)."""
    used = condition_names(where, metrics, factors)
    _check_arithmetic(df[used], where)
    try:
        out = df[used].eval(where.strip(), engine="python")
    except Exception as e:  # noqa: BLE001 - pandas raises several types for an expression it cannot evaluate
        raise DiscoveryError(f"--where {where!r}: cannot be evaluated ({type(e).__name__}: {e}); {_EXAMPLE}") from None
    if not isinstance(out, pd.Series) or out.dtype != bool:
        raise DiscoveryError(f"--where {where!r} gives numbers, not true/false; compare it with a value, {_EXAMPLE}")
    return out


# ---------------------------------------------------------------------------------------------
# Reading a sweep
# ---------------------------------------------------------------------------------------------

def sweep_folder(path: str | Path) -> Path:
    """The sweep folder behind ``path``: the folder itself (``aieco sweep``), or the ``sweep/`` part of an
    ``aieco sensitivity`` folder. Raises DiscoveryError for anything else."""
    p = Path(path)
    try:
        m = json.loads((p / MANIFEST).read_text(encoding="utf-8")) if (p / MANIFEST).is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        m = {}
    if m.get("kind") == "sensitivity" and (p / (m.get("sweep") or "sweep") / MANIFEST).is_file():
        return p / (m.get("sweep") or "sweep")
    try:
        store.read_manifest(p)
    except store.StoreError as e:
        raise DiscoveryError(f"{e}; give a folder written by aieco sweep (or aieco sensitivity)") from None
    return p


def factor_roles(manifest: dict[str, Any]) -> dict[str, str]:
    """Factor name -> ``"lever"`` or ``"uncertainty"`` from a sweep manifest (sweeps written before factors
    had kinds: all uncertainties)."""
    names = manifest["design"]["factors"]
    desc = {f.get("name"): f for f in (manifest.get("resolved") or {}).get("factors", []) if isinstance(f, dict)}
    return {n: (desc.get(n) or {}).get("role", "uncertainty") for n in names}


def _inputs(df: pd.DataFrame, names: list[str], notes: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The input table for EMA (numeric factors as float, others as categories) and each factor's type;
    factors with a single value are dropped (a note)."""
    x = pd.DataFrame(index=df.index)
    types: dict[str, str] = {}
    for n in names:
        col = df[n]
        if col.nunique(dropna=False) < 2:
            notes.append(f"factor {n} takes one value in these runs; left out")
            continue
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            x[n] = col.astype("float64")
            types[n] = "numeric"
        else:
            x[n] = col.map(lambda v: json.dumps(v) if isinstance(v, list | dict) else str(v)).astype("category")
            types[n] = "categorical"
    return x, types


# ---------------------------------------------------------------------------------------------
# The methods (EMA Workbench)
# ---------------------------------------------------------------------------------------------

def _ema():
    """EMA Workbench's analysis modules, imported quietly; DiscoveryError when not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and similar import-time notes
            from ema_workbench.analysis import cart, feature_scoring, prim
            from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    except ImportError as e:
        raise DiscoveryError(f"scenario discovery needs EMA Workbench and scikit-learn ({e}); install them with "
                             f"pip install -e \".[discovery]\"") from None
    return prim, cart, feature_scoring, RuleInductionType


def choose(candidates: pd.DataFrame, threshold: float) -> tuple[int, str | None]:
    """The id of the chosen candidate box: highest coverage among those with density >= ``threshold``
    (ties: higher density, then fewer restricted factors, then the earlier box); when none reaches it, the
    densest (then a note says so)."""
    c = candidates.assign(_order=np.arange(len(candidates)))
    ok = c[c["density"] >= threshold - 1e-12]
    if len(ok):
        best = ok.sort_values(["coverage", "density", "res_dim", "_order"], ascending=[False, False, True, True])
        return int(best["id"].iloc[0]), None
    best = c.sort_values(["density", "coverage", "res_dim", "_order"], ascending=[False, False, True, True])
    return int(best["id"].iloc[0]), (f"no box reaches the density threshold {threshold:g}; the densest box is "
                                     f"reported (density {best['density'].iloc[0]:.2f}); lower --threshold to "
                                     f"trade density for coverage")


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame, types: dict[str, str], roles: dict[str, str],
            qp: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """One row per factor of an EMA box (2-row DataFrame of lower/upper limits, sets for categories)."""
    rows = []
    qp = qp or {}
    for n, t in types.items():
        q = [np.nan if v is None or v < 0 else float(v) for v in qp.get(n, [np.nan, np.nan])]
        if t == "categorical":
            kept, full = set(box_lim.loc[0, n]), set(box_init.loc[0, n])
            restricted = kept != full
            rows.append(dict(factor=n, role=roles[n], type=t, lower=np.nan, upper=np.nan,
                             levels="|".join(sorted(map(str, kept))), data_min=np.nan, data_max=np.nan,
                             restricted_lower=restricted, restricted_upper=restricted,
                             qp_lower=q[0] if restricted else np.nan, qp_upper=np.nan))
            continue
        lo, hi = float(box_lim.loc[0, n]), float(box_lim.loc[1, n])
        dmin, dmax = float(box_init.loc[0, n]), float(box_init.loc[1, n])
        rl, ru = lo > dmin, hi < dmax
        rows.append(dict(factor=n, role=roles[n], type=t, lower=lo, upper=hi, levels="", data_min=dmin,
                         data_max=dmax, restricted_lower=rl, restricted_upper=ru,
                         qp_lower=q[0] if rl else np.nan, qp_upper=q[1] if ru else np.nan))
    out = pd.DataFrame(rows)
    out["restricted"] = out["restricted_lower"] | out["restricted_upper"]
    return out


def _prim_table(box: Any, n_peeled: int) -> pd.DataFrame:
    traj = box.peeling_trajectory
    return pd.DataFrame({"id": traj["id"].astype(int), "coverage": traj["coverage"].astype(float),
                         "density": traj["density"].astype(float), "mass": traj["mass"].astype(float),
                         "res_dim": traj["res_dim"].astype(int), "n": traj["n"].astype(int),
                         "k": traj["k"].astype(int), "pruned": traj["id"].astype(int) >= n_peeled})


def prune(box: Any, i: int, qp_max: float) -> tuple[int, list[tuple[str, float]]]:
    """Drop, one at a time, the restricted factor of PRIM box ``i`` whose quasi-p-values are all above
    ``qp_max`` (the largest first; EMA's ``PrimBox.drop_restriction``, which adds the new box to the
    trajectory), until every remaining restriction has a side with qp <= ``qp_max`` (Bryant and Lempert
    2010: keep only restrictions that are unlikely to be luck). Returns the id of the final box and the
    (factor, smallest qp) dropped, in order."""
    dropped: list[tuple[str, float]] = []
    while True:
        worst = {}
        for dim, q in box.qp[i].items():
            sides = [float(v) for v in q if v is not None and v == v and v >= 0]
            if sides:
                worst[dim] = min(sides)
        bad = {d: v for d, v in worst.items() if v > qp_max}
        if not bad:
            return i, dropped
        dim = max(bad, key=bad.get)
        dropped.append((dim, bad[dim]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box.drop_restriction(dim, i)
        i = len(box.peeling_trajectory) - 1


def _run_prim(x: pd.DataFrame, y: np.ndarray, types, roles, opts: Options):
    prim, _, _, _ = _ema()
    # EMA counts the cases of interest as y >= threshold and keeps the trajectory only when the last box's mean
    # reaches it; with y in {0, 1}, any threshold in (0, 1] counts right, and a tiny one keeps the trajectory
    # (the box is chosen from it by `choose`, with the user's density threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation notes from inside EMA
        p = prim.Prim(x, y.astype(float), threshold=1e-9, peel_alpha=opts.peel_alpha, paste_alpha=opts.paste_alpha,
                      mass_min=opts.mass_min)
        box = p.find_box()
    n_peeled = len(box.peeling_trajectory)
    chosen, note = _pick(_prim_table(box, n_peeled), opts)
    if opts.box is None and opts.qp_max < 1:
        first = chosen
        chosen, dropped = prune(box, chosen, opts.qp_max)
        if dropped:
            note = "; ".join(filter(None, [note, (
                f"box {first} of the peeling trajectory had {int(box.peeling_trajectory['res_dim'].iloc[first])} "
                f"restricted factors; dropped those with every quasi-p-value above {opts.qp_max:g} (--qp-max): "
                + ", ".join(f"{d} ({q:.2g})" for d, q in dropped) + f"; reported: box {chosen}")]))
    return _prim_table(box, n_peeled), chosen, note, _limits(box.box_lims[chosen], p.box_init, types, roles,
                                                             box.qp[chosen])


def _run_cart(x: pd.DataFrame, y: np.ndarray, types, roles, opts: Options):
    from sklearn.tree import DecisionTreeClassifier, export_text

    _, cart, _, _ = _ema()
    c = cart.CART(x, y, mass_min=opts.mass_min)
    # CART.build_tree without a random state: ties between equally good splits would differ run to run
    c.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(opts.mass_min * len(x))), random_state=opts.seed)
    c.clf.fit(c._x, y)
    tree = c.clf.tree_
    leaves = np.flatnonzero(tree.children_left == -1)
    indicator = c.clf.decision_path(c._x)
    n = np.asarray(indicator.sum(axis=0)).ravel()
    k = np.asarray(indicator.T @ y.astype(float)).ravel()
    box_init = _box_init(x)
    stats = c.stats
    cand = pd.DataFrame({"id": leaves.astype(int), "coverage": [s["coverage"] for s in stats],
                         "density": [s["density"] for s in stats], "mass": [s["mass"] for s in stats],
                         "res_dim": [int(s["res dim"]) for s in stats], "n": n[leaves].astype(int),
                         "k": k[leaves].round().astype(int), "pruned": False})
    boxes = dict(zip(leaves.tolist(), c.boxes, strict=True))
    internal = np.flatnonzero(tree.children_left != -1)
    depth = np.zeros(tree.node_count, dtype=int)
    for i in range(tree.node_count):  # nodes are numbered depth-first: a parent precedes its children
        for child in (tree.children_left[i], tree.children_right[i]):
            if child != -1:
                depth[child] = depth[i] + 1
    names = [f.replace(c.sep, " = ") for f in c.feature_names]
    splits = pd.DataFrame({"node": internal, "depth": depth[internal],
                           "factor": [c.feature_names[tree.feature[i]].split(c.sep)[0] for i in internal],
                           "feature": [names[tree.feature[i]] for i in internal],
                           "threshold": tree.threshold[internal], "n": n[internal].astype(int),
                           "k": k[internal].round().astype(int)})
    splits["density"] = splits["k"] / splits["n"]
    text = export_text(c.clf, feature_names=names, decimals=3, show_weights=True)
    chosen, note = _pick(cand, opts)
    return cand, chosen, note, _limits(boxes[chosen], box_init, types, roles), splits, text


def _pick(cand: pd.DataFrame, opts: Options) -> tuple[int, str | None]:
    """The box the user asked for (``opts.box``), else :func:`choose`'s. Raises DiscoveryError for an id
    that is not a candidate."""
    if opts.box is None:
        return choose(cand, opts.threshold)
    if opts.box not in set(cand["id"]):
        ids = list(cand["id"])
        span = f"0-{ids[-1]}" if opts.method == "prim" else ", ".join(map(str, ids))
        raise DiscoveryError(f"--box {opts.box}: no such {'box on the trajectory' if opts.method == 'prim' else 'leaf'}"
                             f" (allowed: {span})")
    return int(opts.box), None


def _box_init(x: pd.DataFrame) -> pd.DataFrame:
    """The box holding every run: per factor the data's min and max (numeric) or the set of levels."""
    cols = {}
    for n in x.columns:
        if isinstance(x[n].dtype, pd.CategoricalDtype):
            levels = set(x[n].cat.categories)
            cols[n] = [levels, levels]
        else:
            cols[n] = [x[n].min(), x[n].max()]
    return pd.DataFrame(cols)


def feature_scores(x: pd.DataFrame, y: np.ndarray, roles: dict[str, str], seed: int = 0,
                   n_trees: int = 100) -> pd.DataFrame:
    """Extra-trees impurity importance of each input for the condition (EMA's ``get_ex_feature_scores``,
    classification, max_features = a third of the inputs): columns factor, role, score (sum 1), rank."""
    _, _, fs, rit = _ema()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = fs.get_ex_feature_scores(x, y.astype(int), mode=rit.CLASSIFICATION, nr_trees=n_trees,
                                             max_features=max(1, round(x.shape[1] / 3)), random_state=seed)
    s = scores.iloc[:, 0]
    out = pd.DataFrame({"factor": [str(i) for i in s.index], "score": s.to_numpy(dtype=float)})
    out["role"] = out["factor"].map(roles)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[["factor", "role", "score", "rank"]]


# ---------------------------------------------------------------------------------------------
# The whole analysis
# ---------------------------------------------------------------------------------------------

def discover(results_dir: str | Path, where: str, options: Options | None = None) -> DiscoveryResult:
    """Scenario discovery on the sweep in ``results_dir`` (an ``aieco sweep`` folder, or an ``aieco
    sensitivity`` folder's sweep) for the cases where the condition ``where`` holds.

    The successful runs are the cases (failed runs, and runs where a metric of the condition is NaN, are
    left out with a note); the sweep's factors (or only its levers or uncertainties, ``options.inputs``)
    are the inputs. Returns a :class:`DiscoveryResult`.

    Raises DiscoveryError for a folder that is not a sweep, a condition that is invalid, uses an unknown
    metric, or holds in every case or in none, inputs of a kind the sweep lacks, or an option out of range."""
    opts = options or Options()
    opts.check()
    d = sweep_folder(results_dir)
    m = store.read_manifest(d)
    metrics = list(m["metrics"])
    names = list(m["design"]["factors"])
    roles = factor_roles(m)
    used = condition_names(where, metrics, names)
    df = store.load_results(d, include_traceback=False)
    notes: list[str] = []
    bad = df["status"] != "ok"
    if bad.any():
        notes.append(f"{int(bad.sum())} failed runs left out")
    nan = ~bad & df[used].isna().any(axis=1)
    if nan.any():
        notes.append(f"{int(nan.sum())} runs with NaN in {', '.join(used)} left out")
    df = df[~bad & ~nan].reset_index(drop=True)
    if df.empty:
        raise DiscoveryError(f"{d}: no successful run with {', '.join(used)} to analyse")
    y = evaluate_condition(df, where, metrics, names).to_numpy()
    k, total = int(y.sum()), len(y)
    if k in (0, total):
        ranges = "; ".join(f"{u} ranges {df[u].min():.3g} to {df[u].max():.3g} (median {df[u].median():.3g})"
                           for u in used)
        raise DiscoveryError(f"--where {where!r} holds in {'none' if k == 0 else 'all'} of the {total} runs: "
                             f"nothing to tell apart; choose a condition that holds in some runs and not in others "
                             f"({ranges})")
    if min(k, total - k) < MIN_CASES:
        notes.append(f"only {min(k, total - k)} runs {'are' if k < MIN_CASES else 'are not'} of interest: boxes "
                     f"on so few cases are fragile")
    want = {"all": None, "uncertainties": "uncertainty", "levers": "lever"}[opts.inputs]
    chosen_names = [n for n in names if want is None or roles[n] == want]
    if not chosen_names:
        have = [k for k, r in (("uncertainties", "uncertainty"), ("levers", "lever")) if r in roles.values()]
        raise DiscoveryError(f"--inputs {opts.inputs}: the sweep has no factor of that kind (it has only "
                             f"{have[0]}; mark levers with kind = \"lever\" in the spec); allowed: all, {have[0]}")
    x, types = _inputs(df, chosen_names, notes)
    if x.shape[1] == 0:
        raise DiscoveryError(f"{d}: every input factor takes a single value in these runs; nothing to discover")
    roles = {n: roles[n] for n in types}
    splits, text = pd.DataFrame(), ""
    if opts.method == "prim":
        cand, chosen, note, limits = _run_prim(x, y, types, roles, opts)
    else:
        cand, chosen, note, limits, splits, text = _run_cart(x, y, types, roles, opts)
    if note:
        notes.append(note)
    cand["chosen"] = cand["id"] == chosen
    scores = feature_scores(x, y, roles, opts.seed, opts.n_trees)
    in_box = np.ones(len(x), dtype=bool)
    for r in limits.itertuples():
        if r.type == "categorical":
            in_box &= x[r.factor].astype(str).isin(r.levels.split("|")).to_numpy()
        else:
            in_box &= ((x[r.factor] >= r.lower) & (x[r.factor] <= r.upper)).to_numpy()
    cases = df[["point", "replication", *types, *used]].copy()
    cases["of_interest"] = y
    cases["in_box"] = in_box
    return DiscoveryResult(sweep=d, where=where.strip(), options=opts, metrics_used=used, candidates=cand,
                           limits=limits, scores=scores, cases=cases, chosen=chosen, splits=splits, tree=text,
                           notes=notes)


def write_results(result: DiscoveryResult, out: str | Path) -> list[Path]:
    """Write the tables (:data:`TABLES`) and ``manifest.json`` (``kind = "discovery"``: the condition, the
    options, the chosen box and its statistics, the sweep and the SHA-256 of its manifest) into ``out``.
    Returns the written paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("candidates", "limits", "scores"):
        p = out / TABLES[name]
        getattr(result, name).to_csv(p, index=False)
        paths.append(p)
    p = out / TABLES["cases"]
    result.cases.to_parquet(p, index=False)
    paths.append(p)
    if result.options.method == "cart":
        result.splits.to_csv(out / TABLES["splits"], index=False)
        (out / TABLES["tree"]).write_text(result.tree, encoding="utf-8")
        paths += [out / TABLES["splits"], out / TABLES["tree"]]
    sweep_man = result.sweep / MANIFEST
    sm = json.loads(sweep_man.read_text(encoding="utf-8"))
    man = base_manifest("discovery")
    man["versions"] = package_versions(ANALYSIS_PACKAGES)
    man.update({"name": sm.get("name"), "where": result.where, "method": result.options.method,
                "options": asdict(result.options), "metrics_used": result.metrics_used,
                "sweep": str(result.sweep.resolve()), "sweep_manifest_sha256": file_sha256(sweep_man),
                "sweep_git": sm.get("git"), "seeds": {"base_seed": sm.get("base_seed"), "rule": sm.get("seed_rule"),
                                                      "runs": sm.get("total_runs")},
                "metrics": {k: v for k, v in (sm.get("metrics") or {}).items() if k in result.metrics_used},
                "cases": result.n_cases, "cases_of_interest": result.n_interest, "chosen": result.chosen,
                "box": result.box, "box_in_words": result.describe_box(), "notes": result.notes,
                "tables": {k: v for k, v in TABLES.items()
                           if result.options.method == "cart" or k not in ("splits", "tree")}})
    write_json_atomic(out / MANIFEST, man)
    paths.append(out / MANIFEST)
    return paths


def check_out(out: Path) -> None:
    """An output folder must be new, empty, or an earlier discovery (which is replaced). Raises DiscoveryError."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DiscoveryError(f"--out {out} exists and is not a folder; choose another --out")
    if (out / MANIFEST).is_file():
        try:
            kind = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("kind")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            kind = None
        if kind != "discovery":
            raise DiscoveryError(f"--out {out} holds other results ({kind!r}); choose another --out")
    elif any(out.iterdir()):
        raise DiscoveryError(f"--out {out} exists and is not a discovery folder; choose another --out")


def load_discovery(results_dir: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """(manifest, tables) of a discovery folder written by :func:`write_results`; tables: candidates,
    limits, scores, cases (and splits for CART). Raises DiscoveryError when it is not one."""
    d = Path(results_dir)
    try:
        m = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DiscoveryError(f"{d}: not a discovery folder ({e})") from None
    if not isinstance(m, dict) or m.get("kind") != "discovery":
        raise DiscoveryError(f"{d}: not a discovery folder (kind {m.get('kind') if isinstance(m, dict) else None!r})")
    tables = {}
    for name in ("candidates", "limits", "scores", "cases", "splits"):
        p = d / TABLES[name]
        if p.is_file():
            tables[name] = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, keep_default_na=True)
        elif name != "splits":
            raise DiscoveryError(f"{d}: incomplete discovery folder ({p.name} missing)")
    if "limits" in tables:
        tables["limits"]["levels"] = ["" if pd.isna(v) else str(v) for v in tables["limits"]["levels"]]
    return m, tables


__all__ = ["DiscoveryError", "DiscoveryResult", "INPUTS", "METHODS", "Options", "check_out", "choose",
           "condition_names", "discover", "evaluate_condition", "factor_roles", "feature_scores", "limit_text",
           "load_discovery", "sweep_folder", "write_results"]
