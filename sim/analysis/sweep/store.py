"""The result store of a sweep: a folder of Parquet parts that grows as results arrive.

Layout of a results folder::

    manifest.json          spec (as written and resolved), base scenario(s) resolved, design matrix,
                           seeds, SALib problem, versions, git commit, command, sessions (each with
                           its own versions, git commit and source hash, and how its code differed
                           from the start's, if it did)
    design.parquet         point, the factor values, and the unit-cube coordinates (``unit:NAME``)
    summary/sNNN-tNNNNNN.parquet     one part per finished task: one row per run (summary metrics,
                                     status, error, traceback, run_seconds)
    timeseries/sNNN-tNNNNNN.parquet  the same runs' monthly time series, when the spec keeps them

Every file is written to a temporary name in the same folder and renamed into place, so after a crash
(``kill -9`` included) a part is either complete or absent. A run is done when a summary part holds its
(point, replication) key; ``--resume`` reads only those two columns and the status of each part and runs
the rest, so nothing runs twice and nothing is lost. The driver holds the results of the tasks in flight
only: memory stays flat however many runs a sweep has.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.provenance import base_manifest, read_manifest_file, write_atomic, write_json_atomic
from sim.analysis.sweep.spec import SEED_MODES, run_seed, stable_run_function
from sim.model.metrics import SUMMARY_METRICS

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
SUMMARY_DIR = "summary"
TIMESERIES_DIR = "timeseries"
PART_RE = re.compile(r"^s(\d{3,})-t(\d{6,})\.parquet$")
MAX_MANIFEST_SEEDS = 1_000_000
"""Seeds are listed in the manifest up to this many runs (beyond, the seed column and the rule)."""


class StoreError(ValueError):
    """A results folder is missing, not a sweep folder, or belongs to a different sweep."""


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def part_name(session: int, task: int) -> str:
    return f"s{session:03d}-t{task:06d}.parquet"


def summary_schema(metrics: list[str] | tuple[str, ...]) -> pa.Schema:
    """Arrow schema of a summary part."""
    return pa.schema([("point", pa.int64()), ("replication", pa.int64()), ("seed", pa.int64()),
                      ("status", pa.string()), ("error", pa.string()), ("traceback", pa.string()),
                      ("run_seconds", pa.float64()), *[(m, pa.float64()) for m in metrics]])


def write_table_atomic(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (:func:`sim.analysis.provenance.write_atomic`)."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_part(out: Path, session: int, task: int, records: list[dict[str, Any]], metrics: list[str],
               timeseries: pd.DataFrame | None = None) -> None:
    """Write one task's results: its time series part first (if any), then the summary part that marks its
    runs done. Both atomically."""
    name = part_name(session, task)
    if timeseries is not None and len(timeseries):
        write_table_atomic(out / TIMESERIES_DIR / name, pa.Table.from_pandas(timeseries, preserve_index=False))
    schema = summary_schema(metrics)
    cols = {f.name: [r.get(f.name) for r in records] for f in schema}
    write_table_atomic(out / SUMMARY_DIR / name, pa.Table.from_pydict(cols, schema=schema))


def _parts(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if PART_RE.match(p.name))


UNREADABLE_DIR = "unreadable"
"""Where a resume moves the parts it cannot read (truncated, zeroed or overwritten files)."""

_READ_ERRORS = (pa.ArrowException, OSError, ValueError)


def _read_part(path: Path, columns: list[str] | None = None, **kw: Any) -> pa.Table | None:
    """A part's table (or some of its columns); None when the file is not a readable Parquet file."""
    try:
        return pq.read_table(path, columns=columns, **kw)
    except _READ_ERRORS:
        return None


def _readable(path: Path, folder: str) -> bool:
    """Whether a part can be read: a summary part whole (it is small), a time series part its footer."""
    if folder == SUMMARY_DIR:
        return _read_part(path) is not None
    try:
        pq.read_metadata(path)
    except _READ_ERRORS:
        return False
    return True


def unreadable_parts(out: Path) -> list[Path]:
    """The summary and time-series parts of ``out`` that cannot be read (truncated, zeroed, overwritten)."""
    return [p for folder in (SUMMARY_DIR, TIMESERIES_DIR) for p in _parts(out / folder) if not _readable(p, folder)]


def set_aside_unreadable(out: Path) -> list[Path]:
    """Move every unreadable part (:func:`unreadable_parts`) and its twin in the other folder (the same
    task's summary or time series) to ``out/unreadable/``, so that their runs count as not done and run
    again. Returns the unreadable parts (their old paths)."""
    bad = unreadable_parts(out)
    for p in bad:
        for folder in (SUMMARY_DIR, TIMESERIES_DIR):
            f = out / folder / p.name
            if f.exists():
                dest = out / UNREADABLE_DIR / folder / p.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, dest)
    return bad


def cleanup_partial(out: Path) -> int:
    """Remove what a crash can leave behind: temporary files and time-series parts whose summary part was
    never written. Returns how many files were removed."""
    n = 0
    for folder in (out, out / SUMMARY_DIR, out / TIMESERIES_DIR):
        if folder.is_dir():
            for p in folder.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
    done = {p.name for p in _parts(out / SUMMARY_DIR)}
    for p in _parts(out / TIMESERIES_DIR):
        if p.name not in done:
            p.unlink(missing_ok=True)
            n += 1
    return n


# ---------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------

def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def source_files(run_function: str | None = None) -> dict[str, str]:
    """Short SHA-256 of each file whose code a run executes: every ``.py`` file of the ``sim`` package (by
    path inside it), and the module of ``run_function`` (``"module:function"``) when it lives outside
    ``sim`` (as ``run_function:<file name>``)."""
    import sim

    root = Path(sim.__file__).resolve().parent
    files = [(f.relative_to(root).as_posix(), f) for f in sorted(root.rglob("*.py"))]
    mod = sys.modules.get((run_function or "").partition(":")[0])
    origin = getattr(mod, "__file__", None)
    if origin and not Path(origin).resolve().is_relative_to(root):
        files.append((f"run_function:{Path(origin).name}", Path(origin)))
    out = {}
    for name, f in files:
        try:
            data = f.read_bytes()
        except OSError:
            data = b"<unreadable>"
        out[name] = hashlib.sha256(data).hexdigest()[:12]
    return out


def source_hash(run_function: str | None = None, files: dict[str, str] | None = None) -> str:
    """One hash of :func:`source_files`: it tells edits apart that git cannot (a tree already dirty, or no
    git at all)."""
    files = source_files(run_function) if files is None else files
    h = hashlib.sha256()
    for name, digest in files.items():
        h.update(name.encode() + b"\0" + digest.encode())
    return h.hexdigest()[:16]


def code_state(run_function: str | None = None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a run's result depends on besides its inputs: aieco and package versions, git commit and dirty
    state, and :func:`source_hash`. Recorded at the start of a sweep and in every session. ``base``: a
    :func:`sim.analysis.provenance.base_manifest` just made (saves asking git again)."""
    b = base or base_manifest("sweep")
    files = source_files(run_function)
    return {"aieco_version": b["aieco_version"], "versions": b["versions"], "git": b["git"],
            "source_hash": source_hash(files=files), "source_files": files}


def code_changes(start: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """How the code of ``now`` differs from that of ``start`` (two :func:`code_state` dicts, or a
    manifest for ``start``): readable items, empty when nothing changed (or nothing can be compared)."""
    out = []
    g0, g1 = start.get("git") or {}, now.get("git") or {}
    if g0.get("commit") != g1.get("commit"):
        out.append(f"git commit {(g0.get('commit') or 'unknown')[:10]} -> {(g1.get('commit') or 'unknown')[:10]}")
    if g0.get("dirty") != g1.get("dirty") and None not in (g0.get("dirty"), g1.get("dirty")):
        out.append("uncommitted changes: " + " -> ".join("yes" if d else "none" for d in (g0["dirty"], g1["dirty"])))
    f0, f1 = start.get("source_files") or {}, now.get("source_files") or {}
    edited = sorted(k for k in {*f0, *f1} if f0.get(k) != f1.get(k)) if f0 and f1 else []
    if edited:
        more = f" and {len(edited) - 5} more" if len(edited) > 5 else ""
        out.append(f"source files changed: {', '.join(edited[:5])}{more}")
    elif not out and start.get("source_hash") and now.get("source_hash") \
            and start["source_hash"] != now["source_hash"]:
        out.append("source files edited (same git state)")
    v0, v1 = start.get("versions") or {}, now.get("versions") or {}
    out += [f"{k} {v0[k]} -> {v1[k]}" for k in v0 if k in v1 and v0[k] != v1[k]]
    return out


def fingerprint(spec: Any, matrix: pd.DataFrame) -> dict[str, str]:
    """Hashes of what determines a sweep's results (everything but the replication count), part by part,
    so that a resume against changed inputs can say what changed."""
    d = spec.describe()
    return {
        "design": _hash({"design": d["design"], "samples": d["samples"], "design_seed": d["design_seed"],
                         "design_options": d["design_options"],
                         # a factor's role (lever or uncertainty) does not change its runs: not hashed, so that
                         # folders written before roles existed still resume
                         "factors": [{k: v for k, v in f.items() if k != "role"} for f in d["factors"]],
                         "matrix": matrix.to_dict("list")}),
        # a label is what readers see, not what a run does
        "base scenario": _hash([{k: v for k, v in sc.resolved_dict().items() if k != "label"} for sc in spec.bases]),
        "seed": _hash(d["seed"]),
        "metrics": _hash(d["metrics"]),
        "timeseries": _hash(d["timeseries"]),
        # under its name before the layout change (aieco 0.1), so that folders written before the move still resume
        "run function": _hash(stable_run_function(d["run_function"])),
        # only when not the default, so that folders written before the option existed still resume
        **({"seeds": _hash(d["seeds"])} if d.get("seeds", "independent") != "independent" else {}),
    }


def seeds_table(base_seed: int, n_points: int, replications: int, mode: str = "independent",
                block: int = 1) -> list[list[int]] | None:
    """Seeds per point and replication (``seeds[point][replication]``) under the seed ``mode`` (see
    :func:`sim.analysis.sweep.spec.run_seed`), or None above MAX_MANIFEST_SEEDS."""
    if n_points * replications > MAX_MANIFEST_SEEDS:
        return None
    return [[run_seed(base_seed, p, r, mode, block) for r in range(replications)] for p in range(n_points)]


def seed_rule(mode: str = "independent", block: int = 1) -> str:
    """The manifest's description of how a run's seed is derived."""
    key = {"independent": "(point, replication)", "common": "(replication,)",
           "block": f"(point // {block}, replication)"}[mode]
    return (f"numpy.random.SeedSequence(base_seed, spawn_key={key}).generate_state(1, uint64) & (2**63-1)  "
            f"[seeds = {mode!r}: {SEED_MODES[mode]}; sim.analysis.sweep.spec.run_seed]")


def _json_safe_rows(matrix: pd.DataFrame, names: list[str]) -> list[list[Any]]:
    rows = []
    for row in matrix[names].itertuples(index=False):
        rows.append([v.item() if isinstance(v, np.generic) else (v.tolist() if isinstance(v, np.ndarray) else v)
                     for v in row])
    return rows


def create_manifest(spec: Any, matrix: pd.DataFrame, problem: dict[str, Any], replications: int,
                    executor: str, seed_block: int = 1) -> dict[str, Any]:
    """The manifest of a new sweep (written by :func:`write_manifest`)."""
    names = spec.factor_names
    m = base_manifest("sweep")
    files = source_files(spec.run_function)
    m.update({
        "source_hash": source_hash(files=files),
        "source_files": files,
        "name": spec.name,
        "spec_file": str(spec.file),
        "spec": spec.raw,
        "resolved": spec.describe(),
        "fingerprint": fingerprint(spec, matrix),
        "bases": [{"label": lab, "file": f, "scenario": sc.resolved_dict()}
                  for lab, f, sc in zip(spec.base_labels, spec.base_files, spec.bases, strict=True)],
        "design": {"kind": spec.design, "n_points": len(matrix), "factors": names,
                   "rows": _json_safe_rows(matrix, names)},
        "salib_problem": problem,
        "replications": replications,
        "total_runs": len(matrix) * replications,
        "base_seed": spec.seed,
        "seed_mode": spec.seeds,
        "seed_block": seed_block,
        "seed_rule": seed_rule(spec.seeds, seed_block),
        "seeds": seeds_table(spec.seed, len(matrix), replications, spec.seeds, seed_block),
        "metrics": {k: list(spec.metric_info.get(k) or SUMMARY_METRICS[k]) for k in spec.metrics},
        "timeseries": spec.timeseries,
        "tables": {"design": DESIGN, "summary": f"{SUMMARY_DIR}/*.parquet",
                   **({"timeseries": f"{TIMESERIES_DIR}/*.parquet"} if spec.timeseries else {})},
        "sessions": [],
    })
    return m


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(out / MANIFEST, manifest)


def write_design(out: Path, matrix: pd.DataFrame, unit: np.ndarray | None, names: list[str]) -> None:
    """``design.parquet``: point, factor values and (sampled designs) unit-cube coordinates."""
    df = matrix.copy()
    if unit is not None:
        for j, n in enumerate(names):
            df[f"unit:{n}"] = unit[:, j]
    write_table_atomic(out / DESIGN, pa.Table.from_pandas(df, preserve_index=False))


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a sweep results folder. Raises StoreError when there is none."""
    path = Path(path)
    f = path / MANIFEST
    if not path.is_dir():
        raise StoreError(f"{path}: no such folder")
    m = read_manifest_file(path, StoreError, "a sweep results folder")
    if m.get("kind") != "sweep":
        raise StoreError(f"{path}: holds results of kind {m.get('kind')!r}, not a sweep")
    problem = _manifest_problem(m)
    if problem:
        raise StoreError(f"{f}: malformed sweep manifest: field {problem}")
    return m


_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "design": dict, "design.n_points": int, "design.factors": list, "design.kind": str, "metrics": dict,
    "replications": int, "total_runs": int, "sessions": list}


def _manifest_problem(m: dict[str, Any]) -> str | None:
    """The first field a sweep manifest lacks or holds with the wrong type (``"'design.n_points': ..."``)."""
    for key, typ in _MANIFEST_FIELDS.items():
        head, _, sub = key.partition(".")
        v = m.get(head) if not sub else (m.get(head) or {}).get(sub)
        if not isinstance(v, typ) or isinstance(v, bool):
            return f"{key!r}: missing or not a {getattr(typ, '__name__', typ)} (got {v!r:.60})"
    return None


def check_resume(manifest: dict[str, Any], spec: Any, matrix: pd.DataFrame, replications: int, out: Path) -> None:
    """Raise StoreError unless the spec, base scenario and design are those the folder was started with
    and ``replications`` does not shrink."""
    old = manifest.get("fingerprint", {})
    new = fingerprint(spec, matrix)
    changed = [k for k in dict.fromkeys([*new, *old]) if old.get(k) != new.get(k)]
    if changed:
        raise StoreError(f"{out}: holds a different sweep (changed since it started: {', '.join(changed)}); "
                         f"resume with the spec it was started with, or choose another --out")
    if replications < manifest["replications"]:
        raise StoreError(f"{out}: was started with {manifest['replications']} replications per point; resume with "
                         f"--replications {manifest['replications']} or more (or another --out)")


def start_session(out: Path, manifest: dict[str, Any], replications: int, executor: str, resumed: bool, *,
                  say: Callable[[str], None] | None = None) -> int:
    """Record a new session (a start or a resume) in the manifest; returns its number. Growing the
    replication count on resume extends the seeds and totals.

    Each session records its code (:func:`code_state`: versions, git commit and dirty state, source hash).
    When it differs from the code the sweep started with (the manifest's top level), the session goes on
    (every run stays valid on its own) but the differences are recorded in the session (``code_changed``)
    and passed to ``say`` as a warning (see :func:`code_warning`)."""
    if replications != manifest["replications"]:
        n = manifest["design"]["n_points"]
        manifest["replications"] = replications
        manifest["total_runs"] = n * replications
        manifest["seeds"] = seeds_table(manifest["base_seed"], n, replications, manifest.get("seed_mode", "independent"),
                                        manifest.get("seed_block", 1))
    session = len(manifest["sessions"])
    existing = [int(PART_RE.match(p.name).group(1)) for p in _parts(out / SUMMARY_DIR)]
    session = max([session, *(s + 1 for s in existing)])
    fresh = base_manifest("sweep")
    code = code_state((manifest.get("resolved") or {}).get("run_function"), fresh)
    entry = {"session": session, "started": fresh["created"], "command": fresh["command"],
             "executor": executor, "resumed": resumed, "finished": None, **code}
    changes = code_changes(manifest, code)
    if changes:
        entry["code_changed"] = changes
    manifest["sessions"].append(entry)
    write_manifest(out, manifest)
    if changes and say is not None:
        say(code_warning(changes))
    return session


def code_warning(changes: list[str]) -> str:
    """The warning for a session whose code differs from the sweep's start (:func:`code_changes`)."""
    return (f"warning: the code differs from when this sweep started ({'; '.join(changes)}). Going on: each run "
            f"is valid, but runs of different sessions may not be comparable (each session's code is in the "
            f"manifest); for one code version throughout, start again with another --out")


def finish_session(out: Path, manifest: dict[str, Any], **info: Any) -> None:
    """Record the end of the current session (finished time, runs, failures, wall time)."""
    manifest["sessions"][-1].update({"finished": datetime.now(UTC).isoformat(timespec="seconds"), **info})
    write_manifest(out, manifest)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def done_mask(out: Path, n_points: int, replications: int, *, retry_failed: bool = False
              ) -> tuple[np.ndarray, np.ndarray]:
    """Which (point, replication) runs the folder holds: (done, failed) boolean arrays of shape
    (n_points, replications). With ``retry_failed`` a failed run does not count as done."""
    done = np.zeros((n_points, replications), dtype=bool)
    failed = np.zeros((n_points, replications), dtype=bool)
    for p in _parts(out / SUMMARY_DIR):
        t = _read_part(p, ["point", "replication", "status"])
        if t is None:  # unreadable: its runs are not done (a resume sets it aside and runs them again)
            continue
        pt = t.column("point").to_numpy()
        rp = t.column("replication").to_numpy()
        ok = np.asarray(t.column("status").to_pylist()) == "ok"
        inside = (pt >= 0) & (pt < n_points) & (rp >= 0) & (rp < replications)
        pt, rp, ok = pt[inside], rp[inside], ok[inside]
        # later parts supersede earlier ones (a retried failure)
        done[pt, rp] = True
        failed[pt, rp] = ~ok
    if retry_failed:
        done &= ~failed
    return done, failed


def _empty_summary(metrics: list[str]) -> pd.DataFrame:
    return summary_schema(metrics).empty_table().to_pandas()


def load_results(path: str | Path, *, include_timing: bool = False, include_traceback: bool = True) -> pd.DataFrame:
    """One tidy DataFrame of a sweep's summary results: a row per finished run.

    Columns: ``point``, ``replication``, ``seed``, the factor values (one column per factor, named by
    the factor), the summary metrics, ``status`` (``"ok"`` or ``"error"``), ``error`` (type and message)
    and ``traceback`` (unless ``include_traceback=False``), and ``run_seconds`` (each run's wall time in its
    worker) only with ``include_timing``: timings differ from machine to machine, and without them the table
    of a sweep is the same whichever executor, worker count or session produced it.
    Sorted by point and replication; a run retried after a failure appears once, with its last result.
    Failed runs have NaN metrics. Works while a sweep is still running (it reads the finished parts).

    Raises StoreError when ``path`` is not a sweep results folder."""
    path = Path(path)
    m = read_manifest(path)
    metrics = list(m["metrics"])
    tables = {p: _read_part(p) for p in _parts(path / SUMMARY_DIR)}
    _warn_unreadable(path, [p for p, t in tables.items() if t is None])
    frames = [t.to_pandas() for t in tables.values() if t is not None]
    df = pd.concat(frames, ignore_index=True) if frames else _empty_summary(metrics)
    df = df.drop_duplicates(["point", "replication"], keep="last")
    names = m["design"]["factors"]
    design = _design(path, m)
    df = df.merge(design[["point", *names]], on="point", how="left")
    cols = ["point", "replication", "seed", *names, *metrics, "status", "error"]
    if include_traceback:
        cols.append("traceback")
    if include_timing:
        cols.append("run_seconds")
    df = df[cols].sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    return df.astype({"point": "int64", "replication": "int64", "seed": "int64"})


class StoreWarning(UserWarning):
    """Some parts of a results folder cannot be read; the results are read without them."""


def _warn_unreadable(path: Path, bad: list[Path]) -> None:
    if bad:
        import warnings

        names = ", ".join(str(p.relative_to(path)) for p in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5
                                                                         else "")
        warnings.warn(f"{path}: {len(bad)} unreadable part(s) left out ({names}): their runs count as missing; "
                      f"`aieco sweep ... --resume` moves them aside to {UNREADABLE_DIR}/ and runs them again",
                      StoreWarning, stacklevel=3)


def _design(path: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    f = path / DESIGN
    names = manifest["design"]["factors"]
    t = _read_part(f, ["point", *names]) if f.is_file() else None
    if t is not None:
        return t.to_pandas()
    rows = manifest["design"]["rows"]
    df = pd.DataFrame(rows, columns=names)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df


def load_design(path: str | Path, *, unit: bool = False) -> pd.DataFrame:
    """The design matrix of a results folder (``point`` and factor columns; with ``unit`` also the
    unit-cube coordinates ``unit:NAME`` of a sampled design, the ``X`` for SALib's analysers)."""
    path = Path(path)
    m = read_manifest(path)
    t = _read_part(path / DESIGN) if unit and (path / DESIGN).is_file() else None
    return t.to_pandas() if t is not None else _design(path, m)


def load_timeseries(path: str | Path, points: list[int] | None = None) -> pd.DataFrame:
    """The monthly time series kept by a sweep (spec ``timeseries = true``): columns ``point``,
    ``replication`` and those of ``EcosystemModel.timeseries``; optionally only some points.

    Raises StoreError when the sweep kept no time series."""
    path = Path(path)
    m = read_manifest(path)
    if not m.get("timeseries"):
        raise StoreError(f"{path}: this sweep kept summary metrics only (spec timeseries = false)")
    done = {p.name for p in _parts(path / SUMMARY_DIR)}
    filters = [("point", "in", list(points))] if points is not None else None
    tables = {p: _read_part(p, filters=filters) for p in _parts(path / TIMESERIES_DIR) if p.name in done}
    _warn_unreadable(path, [p for p, t in tables.items() if t is None])
    frames = [t.to_pandas() for t in tables.values() if t is not None]
    if not frames:
        return pd.DataFrame(columns=["point", "replication", "month"])
    df = pd.concat(frames, ignore_index=True)
    df = df.drop_duplicates(["point", "replication", "month"], keep="last")
    return df.sort_values(["point", "replication", "month"], kind="stable").reset_index(drop=True)


def _lock_held(out: Path) -> bool | None:
    """Whether a sweep driver holds the folder's lock right now (:func:`sim.analysis.folders.lock_held`; None
    when the folder has no lock file: cannot tell)."""
    from sim.analysis.folders import lock_held, lock_path

    if not lock_path(out, inside=True).is_file():
        return None
    return lock_held(out, inside=True)


def session_state(out: str | Path, session: dict[str, Any]) -> str:
    """How a session of the manifest ended: ``"finished"``, ``"interrupted"`` (Ctrl-C, SIGTERM, an error
    in the driver), ``"running"`` (no end recorded, and a driver holds the folder's lock), ``"crashed"``
    (no end recorded and no driver: killed, or the machine went down) or ``"running or crashed"`` (no
    end recorded; the lock cannot tell)."""
    if session.get("interrupted"):
        return "interrupted"
    if session.get("finished") is not None:
        return "finished"
    held = _lock_held(Path(out))
    return "running or crashed" if held is None else "running" if held else "crashed"


def overview(path: str | Path) -> dict[str, Any]:
    """What a results folder holds: name, design, points, replications, total, ok, failed, missing, the
    most common errors, and the range of every metric over the successful runs (a DataFrame with
    min, median, max and the count of NaN); ``sessions`` (how many), ``last_session`` (its entry, with
    ``state`` from :func:`session_state`), ``code_changed`` ((session, changes) for every session whose code
    differed from the start; see :func:`code_changes`); ``unreadable`` (parts that cannot be read, as paths
    relative to the folder: their runs count as missing until a resume sets them aside and runs them again)."""
    path = Path(path)
    m = read_manifest(path)
    import warnings

    with warnings.catch_warnings():  # reported as ``unreadable`` below
        warnings.simplefilter("ignore", StoreWarning)
        df = load_results(path, include_traceback=False)
    total = m["total_runs"]
    n_points, reps = m["design"]["n_points"], m["replications"]
    inside = df[(df["point"] < n_points) & (df["replication"] < reps)]
    ok = inside[inside["status"] == "ok"]
    failed = inside[inside["status"] != "ok"]
    metrics = list(m["metrics"])
    rows = []
    for k in metrics:
        v = ok[k].to_numpy(float)
        fin = v[np.isfinite(v)]
        rows.append({"metric": k, "min": fin.min() if fin.size else np.nan,
                     "median": float(np.median(fin)) if fin.size else np.nan,
                     "max": fin.max() if fin.size else np.nan, "nan": int((~np.isfinite(v)).sum())})
    sessions = m.get("sessions", [])
    last = {**sessions[-1], "state": session_state(path, sessions[-1])} if sessions else None
    return {"name": m.get("name"), "design": m["design"]["kind"], "factors": m["design"]["factors"],
            "points": n_points, "replications": reps, "total": total, "ok": len(ok), "failed": len(failed),
            "missing": total - len(inside), "errors": Counter(failed["error"].fillna("?")).most_common(5),
            "metrics": pd.DataFrame(rows, columns=["metric", "min", "median", "max", "nan"]),
            "unreadable": [str(p.relative_to(path)) for p in unreadable_parts(path)],
            "sessions": len(sessions), "running": bool(sessions) and sessions[-1].get("finished") is None,
            "created": m.get("created"), "git": m.get("git", {}), "last_session": last,
            "code_changed": [(s.get("session"), s["code_changed"]) for s in sessions if s.get("code_changed")]}
