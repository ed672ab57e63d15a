"""The sweep store's provenance, progress reporting and the `aieco results` overview: each session records
its code and warns when it differs from the start; progress lines when stderr is not a terminal; a
progress bar that fits 80 columns; session states and plurals in `aieco results`; load_results' columns."""

from __future__ import annotations

import io
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASELINE, TINY_SET
from rich.console import Console
from rich.progress import Progress

from sim.analysis.progress import RunProgress as _Progress
from sim.analysis.progress import progress_columns
from sim.analysis.sweep import load_results, load_spec, overview, run_sweep, store
from sim.cli import main

GRID1 = """
replications = 1
design = "grid"
[[factors]]
name = "control"
path = "governments.US.export_control.CN"
levels = [0.0, 1.0]
[[factors]]
path = "labs.beta"
levels = [2.0, 8.0]
"""


def write_spec(tmp: Path, body: str = GRID1, name: str = "spec.toml") -> Path:
    p = tmp / name
    p.write_text(f'base = "{BASELINE}"\n' + textwrap.dedent(body) + TINY_SET)
    return p


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished sweep of 4 points x 1 replication (copy it before changing it)."""
    tmp = tmp_path_factory.mktemp("finished")
    out = tmp / "out"
    run_sweep(load_spec(write_spec(tmp)), out, executor="serial", progress=False)
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(folder, out)
    return out


# --------------------------------------------------------------------------------------------- provenance

def _fake_code(monkeypatch, commit: str = "a" * 40, dirty: bool = False, numpy: str = "1.0", source: str = "s1"):
    """Make the store see this code (git, versions, source hash) from now on."""
    real = store.base_manifest.__wrapped__ if hasattr(store.base_manifest, "__wrapped__") else store.base_manifest

    def fake(kind: str) -> dict:
        return {**real(kind), "git": {"commit": commit, "dirty": dirty}, "versions": {"python": "3.11", "numpy": numpy}}

    fake.__wrapped__ = real
    monkeypatch.setattr(store, "base_manifest", fake)
    monkeypatch.setattr(store, "source_hash", lambda run_function=None, files=None: source)
    monkeypatch.setattr(store, "source_files", lambda run_function=None: {"runs.py": source})


def test_every_session_records_its_code_and_a_changed_one_warns(tmp_path, monkeypatch):
    spec = load_spec(write_spec(tmp_path))
    out = tmp_path / "out"
    _fake_code(monkeypatch)
    run_sweep(spec, out, executor="serial", progress=False)
    run_sweep(spec, out, executor="serial", resume=True, replications=2, progress=False)
    m = store.read_manifest(out)
    for s in m["sessions"]:
        assert s["git"] == {"commit": "a" * 40, "dirty": False} and s["versions"]["numpy"] == "1.0"
        assert s["source_hash"] == "s1" and "aieco_version" in s and "code_changed" not in s

    # the model code changes (uncommitted edits, a new numpy): the resume goes on, records and says it
    _fake_code(monkeypatch, dirty=True, numpy="2.0", source="s2")
    o = run_sweep(spec, out, executor="serial", resume=True, replications=3, progress=False)
    assert (o.ran, o.ok, o.missing) == (4, 12, 0)
    m = store.read_manifest(out)
    assert m["git"]["dirty"] is False  # the top level is the start of the sweep
    last = m["sessions"][-1]
    assert last["git"]["dirty"] is True and last["versions"]["numpy"] == "2.0" and last["source_hash"] == "s2"
    assert last["code_changed"] == ["uncommitted changes: none -> yes", "source files changed: runs.py",
                                    "numpy 1.0 -> 2.0"]
    assert overview(out)["code_changed"] == [(2, last["code_changed"])]
    r = CliRunner().invoke(main, ["results", str(out)])
    assert r.exit_code == 0 and "warning: session 2 ran other code" in r.output and "numpy 1.0 -> 2.0" in r.output

    # start_session hands the warning to the caller's `say`
    notes: list[str] = []
    _fake_code(monkeypatch, commit="b" * 40)
    store.start_session(out, m, 3, "serial", True, say=notes.append)
    assert len(notes) == 1 and notes[0].startswith("warning: the code differs from when this sweep started")
    assert "git commit aaaaaaaaaa -> bbbbbbbbbb" in notes[0] and "another --out" in notes[0]
    notes.clear()
    _fake_code(monkeypatch)
    store.start_session(out, m, 3, "serial", True, say=notes.append)
    assert notes == []


def test_code_changes_sees_edits_git_cannot():
    start = {"git": {"commit": "c" * 40, "dirty": True}, "versions": {"mesa": "3.1"}, "source_hash": "x"}
    assert store.code_changes(start, dict(start)) == []
    assert store.code_changes(start, {**start, "source_hash": "y"}) == ["source files edited (same git state)"]
    no_git = {"git": {"commit": None, "dirty": None}, "versions": {}, "source_hash": "x"}
    assert store.code_changes(no_git, {**no_git, "source_hash": "y"}) == ["source files edited (same git state)"]
    assert store.code_changes({"git": {}}, {**start}) == ["git commit unknown -> cccccccccc"]  # an old manifest
    # with per-file hashes the warning names the files
    files = {"runs.py": "a1", "model.py": "b1", "labs.py": "c1"}
    a = {**start, "source_files": files}
    b = {**start, "source_hash": "y", "source_files": {**files, "runs.py": "a2", "new.py": "d1"}}
    assert store.code_changes(a, b) == ["source files changed: new.py, runs.py"]


def test_source_files_name_what_a_run_executes():
    files = store.source_files("sim.analysis.runs:run_one")
    assert {"analysis/runs.py", "model/ecosystem.py", "analysis/sweep/store.py"} <= set(files) and all(len(h) == 12 for h in files.values())
    assert store.source_hash(files=files) == store.source_hash("sim.analysis.runs:run_one")


def test_source_hash_covers_a_run_function_outside_the_package(tmp_path, monkeypatch):
    import importlib

    (tmp_path / "my_model_for_hash.py").write_text("def run_one(scenario, seed, roster=None):\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("my_model_for_hash")
    ref = "my_model_for_hash:run_one"
    h1 = store.source_hash(ref)
    assert h1 == store.source_hash(ref) and h1 != store.source_hash("sim.analysis.runs:run_one")
    (tmp_path / "my_model_for_hash.py").write_text("def run_one(scenario, seed, roster=None):\n    return 2\n")
    assert store.source_hash(ref) != h1


# --------------------------------------------------------------------------------------------- progress

class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_lines_when_stderr_is_not_a_terminal():
    clock, buf = Clock(), io.StringIO()
    with _Progress(True, 1000, 0, 0, "sweep demo", terminal=False, stream=buf, clock=clock) as p:
        clock.t = 1
        p.advance(150, 1)  # past 10%, but within 5 s of the start
        assert buf.getvalue() == ""
        clock.t = 10
        p.advance(50, 0)  # the 10% line, late
        assert buf.getvalue().splitlines() == [
            "sweep demo: 200/1000 runs (1 failed), 20.0 runs/s, elapsed 0:00:10, ETA 0:00:40"]
        for k in range(20):  # a burst of advances crossing 30% (written) and 40% (within 5 s: deferred)
            clock.t = 15 + k * 0.1
            p.advance(10, 0)
        assert len(buf.getvalue().splitlines()) == 2
        clock.t = 20
        p.advance(1, 0)  # still within 5 s of the last line
        assert len(buf.getvalue().splitlines()) == 2
        clock.t = 22
        p.advance(1, 0)  # the deferred 40% line
        assert buf.getvalue().splitlines()[-1].startswith("sweep demo: 402/1000 runs (1 failed)")
        clock.t = 40
        p.advance(1, 0)  # no 10% crossed since the last line: none until 30 s have passed
        assert len(buf.getvalue().splitlines()) == 3
        clock.t = 52.5
        p.advance(1, 0)
        assert len(buf.getvalue().splitlines()) == 4
        clock.t = 53
        p.advance(596, 2)  # done, within 5 s of the last line: written at the end
        assert len(buf.getvalue().splitlines()) == 4
    lines = buf.getvalue().splitlines()
    assert lines[-1] == "sweep demo: 1000/1000 runs (3 failed), 18.9 runs/s, elapsed 0:00:53"
    assert len(lines) == 5


def test_progress_quiet_when_disabled_short_or_on_a_terminal():
    clock, buf = Clock(), io.StringIO()
    with _Progress(False, 10, 0, 0, "sweep off", terminal=False, stream=buf, clock=clock) as p:
        clock.t = 100
        p.advance(10, 0)  # --no-progress: nothing at all
    with _Progress(True, 10, 0, 0, "sweep short", terminal=False, stream=buf, clock=clock) as p:
        clock.t = 102
        p.advance(10, 0)  # done within 5 s: no line, and no closing line either
    assert buf.getvalue() == ""
    bar = _Progress(True, 10, 0, 0, "sweep bar", terminal=True, stream=buf, clock=clock)
    assert bar.prog is not None and not bar.log  # a terminal gets the rich bar


def _render(columns, label: str, total: int, done: int, width: int = 80, **fields) -> str:
    t = [0.0]
    buf = io.StringIO()
    con = Console(width=width, file=buf, force_terminal=True, color_system=None)
    prog = Progress(*columns, console=con, auto_refresh=False, get_time=lambda: t[0])
    task = prog.add_task(label, total=total, completed=0, **fields)
    for k in (1, 2, 3):  # progress at a steady rate, so that rich has a speed and an ETA
        t[0] = 37.0 * k / 3
        prog.update(task, completed=done * k // 3)
    con.print(prog.make_tasks_table(prog.tasks))
    return buf.getvalue()


@pytest.mark.parametrize(("label", "total", "done", "kind"), [
    ("sweep export_controls_grid", 720, 63, "sweep"),
    ("sweep uncertainty_lhs_with_a_long_name", 10000, 6300, "sweep"),
    ("baseline: 120 months x 20 replications", 20, 7, "run"),
])
def test_progress_bar_fits_80_columns(label, total, done, kind):
    if kind == "sweep":
        columns = _Progress(True, total, 0, 123, label, terminal=True).prog.columns
        fields = {"failed": 123, "rate": "112.1/s"}
    else:
        columns, fields = progress_columns(), {}
    text = _render(columns, label, total, done, **fields)
    lines = text.rstrip("\n").splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 80, text
    line = lines[0]
    assert f"{done}/{total}" in line and " 0:00:37 " in line  # done/total and elapsed time, whole
    assert re.search(r" ETA \d:\d\d:\d\d$", line.rstrip()), line
    if kind == "sweep":
        assert "123 failed · 112.1/s" in line
    assert line.startswith(label[:5])
    wide = _render(columns, label, total, done, width=140, **fields)
    assert label in wide  # a wide terminal shows the whole description


# --------------------------------------------------------------------------------------------- aieco results

def _results(out: Path) -> str:
    r = CliRunner().invoke(main, ["results", str(out)])
    assert r.exit_code == 0, r.output
    return r.output


def _set_last_session(out: Path, **fields) -> None:
    m = json.loads((out / store.MANIFEST).read_text())
    m["sessions"][-1].update(fields)
    for k in [k for k, v in fields.items() if v is ...]:
        del m["sessions"][-1][k]
    (out / store.MANIFEST).write_text(json.dumps(m))


def test_results_says_how_the_last_session_ended(finished, tmp_path):
    import fcntl

    out = copy_of(finished, tmp_path)
    text = _results(out)
    assert "4 points x 1 replication = 4 runs" in text and "factors: control, labs.beta" in text
    assert "1 session, which finished at" in text
    assert "session(s)" not in text and "1 replications" not in text

    _set_last_session(out, interrupted=True)
    text = _results(out)
    assert "was interrupted at" in text and "--resume" in text and "finished" not in text.split("runs:")[0]

    _set_last_session(out, interrupted=..., finished=None)  # no end recorded, nobody holds the lock
    assert "never recorded an end: it crashed or was killed" in _results(out)
    assert overview(out)["last_session"]["state"] == "crashed"

    with open(out / ".lock", "a+") as f:  # a driver is writing
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert "is still running" in _results(out)
    (out / ".lock").unlink()
    assert "still running, or crashed" in _results(out)


# --------------------------------------------------------------------------------------------- load_results

def test_load_results_columns_and_timing(finished):
    df = load_results(finished)
    metrics = list(store.read_manifest(finished)["metrics"])
    assert list(df.columns) == ["point", "replication", "seed", "control", "labs.beta", *metrics,
                                "status", "error", "traceback"]
    timed = load_results(finished, include_timing=True, include_traceback=False)
    assert list(timed.columns) == [*df.columns[:-1], "run_seconds"]
    assert (timed["run_seconds"] > 0).all()
    readme = (Path(__file__).resolve().parents[1] / "experiments" / "README.md").read_text()
    assert "include_timing=True" in readme  # the docs say how to get run_seconds
