"""Lab agents and the roster they start from (DESIGN.md §2, §3 step 4, §4).

Lab state lives in the model's structure-of-arrays (:class:`LabTable`) so that the chip market and the
developer choice are array operations; each :class:`Lab` is a mesa Agent that reads and writes its own row
and makes its own release decision.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from sim import REGIONS
from sim.model.kernels import best_others
from sim.model.market import p_open
from sim.scenario.schema import LAB_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.ecosystem import EcosystemModel

NO_THEORY_TERMS = {"x_imitation": 0.0, "x_learned": 0.0, "x_inertia": 0.0}
"""The release log's terms of the non-myopic theories (:mod:`sim.model.decision`), all 0 for a myopic choice."""

ROSTER_COLUMNS = ("name", "region", "training_compute_flop", "strategy", "open_bias")
OPTIONAL_COLUMNS = ("entry", "exit", "latest_release", "efficiency_oom", "lab_type", "misuse_statement",
                    "complement_capture")
"""``entry`` (YYYY-MM, may be blank): the month a lab enters; blank or before the start: present at the start.
``exit`` (YYYY-MM, may be blank): the month a lab leaves (acquired or stopped frontier work); blank: never.
``latest_release`` (YYYY-MM[-DD]): date of the model behind ``training_compute_flop``; its age at the start
sizes the lab's initial compute and its capability (blank: age 0).
``efficiency_oom`` (OOM, default 0): the lab's capability offset per unit of effective compute, from the ECI
link's shrunken per-lab residuals (data/targets/eci_link.csv).
``lab_type`` (one of :data:`sim.scenario.schema.LAB_TYPES`, blank: startup), ``misuse_statement`` (YYYY-MM or
blank: the month the lab stated misuse or liability reasons for closed weights) and ``complement_capture`` (0..1 or
blank: its type's ``labs.complement_capture``), from data/lab_types.csv (docs/ODD.md 7.7)."""


MAX_TRAINING_FLOP = 1e33
"""Largest ``training_compute_flop`` a roster may give (about a million times the largest runs of 2025);
beyond it budgets and revenues overflow."""


OPEN_BIAS_MAX = 50.0
"""Largest ``open_bias`` in size a roster may give: a logit-scale trait (the data's are within +/-2; +/-12 pins a
lab's choice in tests); times ``labs.open_bias_scale`` (<= 5) it stays far from overflowing the release choice's
logistic, which +/-1e300 did."""


class RosterError(ValueError):
    """The roster file is missing or malformed; the message names the file, row and column."""


def load_roster(path: str | Path) -> pd.DataFrame:
    """Read a roster CSV (lines starting with ``#`` are comments; extra columns are ignored).

    Required columns: ``name`` (str, unique), ``region`` (US/CN/EU/ROW), ``training_compute_flop``
    (FLOP of the lab's best model before the start, or of its first qualifying model for a later
    entrant; > 0), ``strategy`` (OPEN/CLOSED), ``open_bias`` (logit-scale trait, about -3..3).
    Optional: ``entry`` (YYYY-MM or blank). Returns a DataFrame with those columns (``entry`` always
    present, "" when blank), in file order.

    Raises RosterError naming the file, the row (1-based data row) and the column.

    The parsed table is cached per process, keyed by the file's resolved path, size and modification
    time (a replication or sweep run would otherwise re-read the CSV: ~9 ms a run); each call returns
    its own copy.
    """
    return _roster_table(path).copy()


def _roster_table(path: str | Path) -> pd.DataFrame:
    """:func:`load_roster`'s cached table itself, not a copy (not to be modified)."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"roster file not found: {path}")
    st = path.stat()
    return _load_roster_cached(str(path.resolve()), str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_roster_cached(resolved: str, shown: str, size: int, mtime_ns: int) -> pd.DataFrame:
    """Parse and check a roster file (see :func:`load_roster`); ``size``/``mtime_ns`` key the cache."""
    path = Path(shown)
    try:
        text = Path(resolved).read_bytes().decode("utf-8")
        if "\0" in text:
            raise UnicodeDecodeError("utf-8", b"\0", text.index("\0"), text.index("\0") + 1, "NUL byte")
        df = pd.read_csv(io.StringIO(text), comment="#", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise RosterError(f"{path}: empty file (no header, no labs); required columns: "
                          f"{', '.join(ROSTER_COLUMNS)}") from None
    except UnicodeDecodeError as e:
        raise RosterError(f"{path}: not a UTF-8 text (CSV) file (byte {e.start}: {e.reason})") from None
    except (pd.errors.ParserError, OSError) as e:
        raise RosterError(f"{path}: not a readable CSV file: {str(e).strip()}") from None
    missing = [c for c in ROSTER_COLUMNS if c not in df.columns]
    if missing:
        raise RosterError(f"{path}: missing column(s) {', '.join(missing)}; required: {', '.join(ROSTER_COLUMNS)}")
    if df.empty:
        raise RosterError(f"{path}: no labs")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if pd.isna(row.name) or not str(row.name).strip():
            raise RosterError(f"{path}: row {i}, column name: empty; every lab needs a name")
        if row.region not in REGIONS:
            raise RosterError(f"{path}: row {i}, column region: {row.region!r} is not one of {', '.join(REGIONS)}")
        if str(row.strategy).upper() not in ("OPEN", "CLOSED"):
            raise RosterError(f"{path}: row {i}, column strategy: {row.strategy!r} is not OPEN or CLOSED")
        _check_number(path, i, "training_compute_flop", row.training_compute_flop, lambda c: 0 < c <= MAX_TRAINING_FLOP,
                      f"a positive number of FLOP up to {MAX_TRAINING_FLOP:.0e}")
        _check_number(path, i, "open_bias", row.open_bias, lambda b: abs(b) <= OPEN_BIAS_MAX,
                      f"a number from -{OPEN_BIAS_MAX:g} to {OPEN_BIAS_MAX:g} (a logit-scale trait, typically -3 to 3)")
    for col in ("entry", "exit"):
        if col not in df.columns:
            continue
        for i, v in enumerate(df[col], start=1):
            if isinstance(v, str) and v.strip() and not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", v.strip()):
                raise RosterError(f"{path}: row {i}, column {col}: {v!r} is not a month YYYY-MM (or blank)")
            if not isinstance(v, str) and pd.notna(v):
                raise RosterError(f"{path}: row {i}, column {col}: {v!r} is not a month YYYY-MM (or blank)")
    if "efficiency_oom" in df.columns:
        raw = df["efficiency_oom"]
        eff = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna() | raw.astype(str).str.strip().eq("")
        bad = (eff.isna() & ~blank) | ~np.isfinite(eff.fillna(0.0)) | (eff.fillna(0.0).abs() > 3)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            v = raw.iloc[i]
            shown = repr(v) if isinstance(v, str) else f"{float(v):g}"
            raise RosterError(f"{path}: row {i + 1}, column efficiency_oom: {shown} is not a number of OOM between "
                              "-3 and 3 (or blank)")
    if "entry" in df.columns and "exit" in df.columns:
        for i, (en, ex) in enumerate(zip(df["entry"], df["exit"], strict=True), start=1):
            en = en.strip() if isinstance(en, str) else ""
            ex = ex.strip() if isinstance(ex, str) else ""
            if en and ex and ex <= en:
                raise RosterError(f"{path}: row {i}, column exit: {ex!r} is not after the lab's entry {en!r}")
    dup = df["name"][df["name"].duplicated()]
    if len(dup):
        raise RosterError(f"{path}: column name: duplicate lab {dup.iloc[0]!r}")
    out = df[list(ROSTER_COLUMNS)].copy()
    out["entry"] = df["entry"].astype(object).fillna("").astype(str).str.strip() if "entry" in df.columns else ""
    out["exit"] = df["exit"].astype(object).fillna("").astype(str).str.strip() if "exit" in df.columns else ""
    out["efficiency_oom"] = (pd.to_numeric(df["efficiency_oom"], errors="coerce").fillna(0.0)
                             if "efficiency_oom" in df.columns else 0.0)
    out["latest_release"] = df["latest_release"].fillna("").astype(str) if "latest_release" in df.columns else ""
    for col, values in _type_columns(path, df).items():
        out[col] = values
    out["strategy"] = out["strategy"].str.upper()
    out["training_compute_flop"] = out["training_compute_flop"].astype(float)
    out["open_bias"] = out["open_bias"].astype(float)
    return out.reset_index(drop=True)


def _type_columns(path: Any, df: pd.DataFrame) -> dict[str, list]:
    """The roster's optional type columns, checked (RosterError naming the file, row and column): ``lab_type``
    (blank: startup), ``misuse_statement`` (YYYY-MM or ""), ``complement_capture`` (a float in 0..1 or NaN)."""
    n = len(df)
    col = {c: (list(df[c]) if c in df.columns else [None] * n) for c in ("lab_type", "misuse_statement",
                                                                          "complement_capture")}
    blank = [v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip() for v in col["lab_type"]]
    types = ["startup" if b else str(v).strip() for v, b in zip(col["lab_type"], blank, strict=True)]
    for i, t in enumerate(types, start=1):
        if t not in LAB_TYPES:
            raise RosterError(f"{path}: row {i}, column lab_type: {t!r} is not one of {', '.join(LAB_TYPES)} (or blank)")
    months = []
    for i, v in enumerate(col["misuse_statement"], start=1):
        v = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
        if v and not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", v):
            raise RosterError(f"{path}: row {i}, column misuse_statement: {v!r} is not a month YYYY-MM (or blank)")
        months.append(v)
    capture = []
    for i, v in enumerate(col["complement_capture"], start=1):
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
            capture.append(float("nan"))
            continue
        _check_number(path, i, "complement_capture", v, lambda c: 0 <= c <= 1, "a fraction from 0 to 1 (or blank)")
        capture.append(float(v))
    return {"lab_type": types, "misuse_statement": months, "complement_capture": capture}


def _check_number(path: Any, i: int, column: str, raw: Any, ok: Callable[[float], bool], allowed: str) -> None:
    """Raise RosterError naming the file, row and column unless ``raw`` is a finite number for which ``ok``
    holds ("not a finite number" for NaN, infinity or text; "out of range" otherwise)."""
    try:
        v = float(raw)
    except (TypeError, ValueError):
        v = float("nan")
    if not np.isfinite(v) or not ok(v):
        what = "is not a finite number" if not np.isfinite(v) else "is out of range"
        raise RosterError(f"{path}: row {i}, column {column}: {raw!r} {what}; allowed: {allowed}")


def regions_entering_late(roster: pd.DataFrame, start: str, months: int) -> dict[str, str]:
    """The regions whose labs in ``roster`` (from :func:`load_roster`) all enter after the horizon (``months``
    months from ``start``, YYYY-MM), each with its first lab's entry month: such a region has no lab in the run,
    so its outputs are undefined (NaN), as for a region without labs."""
    y, m = int(start[:4]), int(start[5:7])
    k = y * 12 + m - 1 + months
    end = f"{k // 12:04d}-{k % 12 + 1:02d}"  # the first month after the horizon
    out = {}
    for region, g in roster.groupby("region", sort=False):
        entries = [str(e) for e in g.get("entry", pd.Series([""] * len(g)))]
        if entries and all(e and e >= end for e in entries):
            out[str(region)] = min(entries)
    return out


def check_roster_start(roster: pd.DataFrame, start: str, source: str | Path = "roster") -> None:
    """Raise RosterError unless at least one lab of ``roster`` (from :func:`load_roster`) is present at
    ``start`` (YYYY-MM): its ``entry`` blank or not after ``start``. ``source`` names the file."""
    entries = [e for e in (roster["entry"].tolist() if "entry" in roster else []) if e]
    if len(entries) == len(roster) and all(e > start for e in entries):
        raise RosterError(f"{source}: column entry: every lab enters after the scenario's start {start} (the "
                          f"first in {min(entries)}); at least one lab must be present at the start (entry blank "
                          "or not after the start)")


@dataclass
class LabTable:
    """Structure-of-arrays state of all K labs (each array has shape (K,)).

    region: int region index; open: bool strategy of the current model; compute: H100e owned;
    capability: log10 effective FLOP of the best released model; accrued: FLOP accrued for the next
    release; train_flop: physical FLOP of the latest release; income: USD received last month;
    revenue: USD revenue last month; quality: share of API demand a closed lab can serve (0..1);
    phase: month (mod cycle) of the lab's releases; open_bias: logit-scale trait; active: the lab has
    entered and not exited; entry: month index of entry (<= 0: present at the start); exit: month index of exit
    (a large number: never); efficiency: capability offset (OOM) added to the lab's own effective compute;
    complement: share of its open-weight adopters' token spending the lab earns through complements (0..1);
    misuse_from: month index from which the lab has stated misuse concerns about open weights (10**9: never);
    commercial: the lab sells (False for a research lab: its open/closed choice has no payoff term);
    venture: a start-up funded by venture money (False: by a parent's or sponsor's budget; docs/ODD.md 7.9).
    """

    region: np.ndarray
    open: np.ndarray
    compute: np.ndarray
    capability: np.ndarray
    accrued: np.ndarray
    train_flop: np.ndarray
    income: np.ndarray
    revenue: np.ndarray
    quality: np.ndarray
    phase: np.ndarray
    open_bias: np.ndarray
    active: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    efficiency: np.ndarray
    complement: np.ndarray
    misuse_from: np.ndarray
    commercial: np.ndarray
    venture: np.ndarray


class Lab(mesa.Agent):
    """A frontier lab (DESIGN.md §2): a row ``i`` of the model's :class:`LabTable` plus its decisions."""

    def __init__(self, model: EcosystemModel, i: int, name: str, region: str):
        super().__init__(model)
        self.i = i
        self.name = name
        self.region = region

    # read-only views, handy in notebooks and tests
    @property
    def capability(self) -> float:
        return float(self.model.labs_state.capability[self.i])

    @property
    def is_open(self) -> bool:
        return bool(self.model.labs_state.open[self.i])

    @property
    def compute(self) -> float:
        return float(self.model.labs_state.compute[self.i])

    def release(self) -> None:
        """Release a model this month (DESIGN.md §3 step 4): the capability of its own training, raised by
        distillation from the best teacher it can reach (:mod:`sim.model.distillation`; computed for all labs
        releasing this month by :meth:`~sim.model.ecosystem.EcosystemModel._train_releases`), then the OPEN/CLOSED
        choice (:meth:`open_index`) by its probability :func:`sim.model.market.p_open` (``labs.decision`` myopic) or by
        the theory's (:class:`sim.model.decision.DecisionState`); logs the release."""
        m = self.model
        s = m.labs_state
        i = self.i
        best_open_other, best_other = best_others(s.capability, s.active, s.open, i)
        old = float(s.capability[i])
        own, new, teacher = m.trained_model(i)
        s.capability[i] = max(old, new)
        s.train_flop[i] = s.accrued[i]
        s.accrued[i] = 0.0
        pay = self.payoffs(best_open_other)
        terms = self.open_index(pay, best_other)
        gov = m.governments[self.region].policy
        allowed = gov.open_weight_threshold is None or s.capability[i] <= gov.open_weight_threshold
        beta = m.scenario.labs.beta if s.commercial[i] else 0.0
        if m.decisions is None:  # myopic (docs/ODD.md 7.7)
            prob = p_open(pay["pi_open"], pay["pi_closed"], beta,
                          terms["x_position"] + terms["x_state"] + terms["x_misuse"] + terms["x_bias"]) if allowed else 0.0
            terms = {**terms, **NO_THEORY_TERMS}
        else:  # learning, imitation, strategic (sim.model.decision)
            prob, extra = m.decisions.choose(m, i, pay, terms, beta, allowed)
            terms = {**terms, **extra}
        s.open[i] = bool(m.rng.random() < prob)
        m.on_release(self, old, prob, pay, terms, own=own, teacher=teacher)

    def payoffs(self, best_open_other: float) -> dict[str, float]:
        """Expected payoffs (USD/month) of releasing the current model open or closed (docs/ODD.md 7.7).

        Shares and spending come from the developers' logit demand evaluated counterfactually on the model's payoff
        sample of developers, with every other model as it is (:meth:`~sim.model.demand.Demand.counterfactual_demand`)::

            pi_closed  = spend_closed x quality x (1 - 1 / markup)        (tokens x (price - serving cost))
            pi_open    = spend_open x complement + open_support x |pi_closed| - spill
            spill      = spill_coef x max(0, c_i - best other open) x max(pi_closed, 0)

        ``spend_*`` is the adopters' expected spending on the model's tokens, ``markup`` the lab's region's price
        over serving cost this month, ``complement`` the lab's complement capture (its type's), ``quality`` the share
        of its API demand its compute can serve. Returns a dict: pi_open, pi_closed, share_open, share_closed,
        complement_usd (the complements' part of pi_open) and spill_usd (USD/month; shares in [0, 1])."""
        m = self.model
        s = m.labs_state
        i = self.i
        p = m.scenario.labs
        share_open, share_closed, spend_open, spend_closed = m.counterfactual_demand(i)
        need = m.release_need * share_closed  # m.inference_need(share_closed): the labs' compute is as at release
        quality = min(1.0, m.scenario.compute.max_inference_share * s.compute[i] / need) if need > 0 else 1.0
        pi_closed = spend_closed * quality * float(m.closed_margin()[s.region[i]])
        gov = m.governments[self.region].policy
        lead = max(0.0, float(s.capability[i] - best_open_other)) if math.isfinite(best_open_other) else 0.0
        spill = p.spill_coef * lead * max(pi_closed, 0.0)
        complement = spend_open * float(s.complement[i])
        pi_open = complement + gov.open_support * abs(pi_closed) - spill
        return {"pi_open": pi_open, "pi_closed": pi_closed, "share_open": share_open, "share_closed": share_closed,
                "complement_usd": complement, "spill_usd": spill}

    def open_index(self, pay: dict[str, float], best_other: float) -> dict[str, float]:
        """The terms of the open/closed index (logit scale; docs/ODD.md 7.7) besides the payoff comparison, and
        that comparison itself (``x_payoff``: beta x the normalised payoff difference of :func:`p_open`; 0 for a
        research lab, which does not decide by revenue):
        ``x_position`` = follower_open_value x min(1, OOM its new model trails the best other active lab's
        ``best_other``); ``x_state`` its government's open_endorsement; ``x_misuse`` = -misuse_concern from the
        month of its statement; ``x_bias`` = open_bias_scale x open_bias."""
        m = self.model
        s, p, i = m.labs_state, m.scenario.labs, self.i
        behind = min(1.0, max(0.0, float(best_other - s.capability[i]))) if math.isfinite(best_other) else 0.0
        denom = abs(pay["pi_open"]) + abs(pay["pi_closed"])
        diff = (pay["pi_open"] - pay["pi_closed"]) / denom if denom > 0 else 0.0
        return {"x_payoff": p.beta * diff if s.commercial[i] else 0.0, "x_position": p.follower_open_value * behind,
                "x_state": m.governments[self.region].policy.open_endorsement,
                "x_misuse": -p.misuse_concern if m.t >= s.misuse_from[i] else 0.0,
                "x_bias": p.open_bias_scale * float(s.open_bias[i])}
