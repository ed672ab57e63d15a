"""Issue 29, safe outputs and honest inputs: what the bad-input corpus (test_bad_inputs.py) cannot check with one
error line: warnings, notes, window names, output folders under concurrency and interruption."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARCHETYPES, ROOT

from sim.cli import main

SMALL = ["--set", "developers.n=100", "--set", "developers.payoff_sample=50"]


def _scenario(folder: Path, name: str = "s", months: int = 6) -> Path:
    f = folder / f"{name}.toml"
    f.write_text(f'name = "{name}"\nroster = "{ARCHETYPES}"\nmonths = {months}\n')
    return f


def test_one_month_run_draws_its_figures_without_a_library_warning():
    """--months 1 printed matplotlib's 'identical low and high xlims' warning (from the adoption figure) with a
    source path."""
    import matplotlib.pyplot as plt

    from sim.analysis.runs import run_one
    from sim.plots.run import fig_adoption
    from sim.scenario.schema import load_scenario, with_values

    sc = with_values(load_scenario(ROOT / "scenarios" / "baseline.toml"),
                     {"months": 1, "events": [], "developers.n": 100, "roster": str(ARCHETYPES)})
    ts = run_one(sc, seed=1).timeseries.assign(replication=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fig_adoption(ts, "s")
    plt.close(fig)


def test_library_warnings_are_one_plain_line_without_a_source_path(capsys):
    """Any warning left reaches the user of the command as 'warning: ...', not '/path/to/file.py:123: ...'."""
    import sim.cli as cli

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = cli._DEFAULT_SHOWWARNING
        cli._plain_warnings()
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
    assert capsys.readouterr().err.strip() == "warning: careful (RuntimeWarning)"


def test_compare_names_a_short_window_as_it_is(tmp_path):
    """--months 6 --window mean12 said "averaged over the last 12 months"; the mean is over all 6."""
    s = _scenario(tmp_path)
    res = CliRunner().invoke(main, ["compare", str(s), str(s), "--months", "6", "-r", "1", "--window", "mean12",
                                    *SMALL, "--no-figures", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "averaged over all 6 months of the run (2022-01 to 2022-06" in text
    assert "last 12 months" not in text
    import json

    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["window_months"] == 6
    from sim.analysis.compare import window_text

    assert window_text("mean12", "2022-01", 108) == "averaged over the last 12 months (2030-01 to 2030-12)"
    assert window_text("horizon", "2022-01", 108) == "at the horizon (2030-12)"


def test_months_in_a_file_and_months_option_print_the_same_note(tmp_path):
    base = ROOT / "scenarios" / "baseline.toml"
    child = tmp_path / "short.toml"
    child.write_text(f'extends = "{base}"\nmonths = 24\n')
    a = CliRunner().invoke(main, ["run", str(child), *SMALL, "--no-figures", "--out", str(tmp_path / "a")])
    b = CliRunner().invoke(main, ["run", str(base), "--months", "24", *SMALL, "--no-figures",
                                  "--out", str(tmp_path / "b")])
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    tail = "3 dated event(s) fall after the 24-month horizon and never take effect (first: 2024-07 US.api_block)"
    note_a = [ln for ln in a.output.splitlines() if ln.startswith("note:")]
    note_b = [ln for ln in b.output.splitlines() if ln.startswith("note:")]
    assert len(note_a) == len(note_b) == 1 and tail in " ".join(a.output.split()) and tail in " ".join(b.output.split())
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "timeseries.parquet"))


POOL_SCRIPT = """
import sys, time
from sim.dashboard import jobs
pool = jobs.worker_pool(2)
jobs.warm_up(2)
[f.result() for f in [pool.submit(int, 1) for _ in range(4)]]
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_dashboard_workers_stop_with_their_server():
    """`kill -TERM` of `aieco dashboard` left its worker processes running, orphaned. Workers now end with the
    server however it ends (uvicorn ends the server on SIGTERM without running its cleanup)."""
    proc = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "a worker outlived its server"
    finally:
        proc.kill()
        proc.wait()


# --- safe output folders: one writer at a time; a result appears whole or not at all -----------------------

STALL = """
import sys, time
import sim.analysis.provenance as prov
import sim.plots.style as style
from sim.cli import main

def stall(what, real):
    def f(*a, **k):
        print("STALLED " + what, flush=True)
        time.sleep(60)
        return real(*a, **k)
    return f

where = sys.argv[1]
if where == "tables":
    import sim.analysis.runs as runs
    runs.write_atomic = stall("tables", runs.write_atomic)
elif where == "figures":
    style_save = style.save
    calls = []
    def save(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # one figure written, the second being drawn
            return stall("figures", style_save)(*a, **k)
        return style_save(*a, **k)
    style.save = save
    import sim.plots.run as plots_run
    plots_run.save = save
sys.argv = ["aieco", *sys.argv[2:]]
main()
"""


def _start(tmp_path: Path, where: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", STALL, where, *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _wait_for(proc: subprocess.Popen, marker: str) -> None:
    line = proc.stdout.readline()
    while line and marker not in line:
        line = proc.stdout.readline()
    assert marker in line, proc.stderr.read()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("where, sig", [("tables", signal.SIGTERM), ("figures", signal.SIGINT)])
def test_an_interrupted_run_leaves_no_folder_that_looks_finished(tmp_path, where, sig):
    """SIGINT while figures were drawn left manifest, tables and 1 of 14 figures: the folder looked finished
    and every rerun refused it. Now nothing appears until the result is complete; the rerun just runs."""
    s = _scenario(tmp_path)
    args = ["run", str(s), *SMALL, "--format", "png", "--out", "out"]
    proc = _start(tmp_path, where, *args)
    try:
        _wait_for(proc, f"STALLED {where}")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "nothing written to out" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []
    again = CliRunner().invoke(main, ["run", str(tmp_path / "s.toml"), *SMALL, "--no-figures",
                                      "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_an_interrupted_overwrite_keeps_the_previous_results(tmp_path, monkeypatch):
    """--overwrite removed the old results before the new ones existed; now they are replaced only when the new
    ones are complete (Ctrl-C while writing tables: the old folder as it was)."""
    import sim.analysis.runs as runs

    s = _scenario(tmp_path)
    first = CliRunner().invoke(main, ["run", str(s), *SMALL, "--no-figures", "--out", str(tmp_path / "out")])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    calls = []

    def ctrl_c_on_the_third_table(path, write):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(path, write)

    real = runs.write_atomic
    monkeypatch.setattr(runs, "write_atomic", ctrl_c_on_the_third_table)
    res = CliRunner().invoke(main, ["run", str(s), *SMALL, "--no-figures", "--out", str(tmp_path / "out"),
                                    "--overwrite", "--set", "labs.beta=6"])
    assert res.exit_code == 130 and "interrupted: nothing written to" in res.output, res.output
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert _leftovers(tmp_path) == []


def test_two_writers_never_share_a_folder(tmp_path):
    """Two `aieco run --out same` at once both passed the "already holds results" check; one died with an
    OSError traceback and the folder ended mixed. The second writer is now refused at once (exit 2)."""
    s = _scenario(tmp_path)
    proc = _start(tmp_path, "tables", "run", str(s), *SMALL, "--no-figures", "--out", "out")
    try:
        _wait_for(proc, "STALLED tables")  # the first writer holds the folder
        for cmd in (["run", str(s), *SMALL, "--no-figures", "--out", str(tmp_path / "out")],
                    ["run", str(s), *SMALL, "--no-figures", "--out", str(tmp_path / "out"), "--overwrite"],
                    ["compare", str(s), str(s), "-r", "1", *SMALL, "--no-figures", "--out", str(tmp_path / "out")]):
            second = CliRunner().invoke(main, cmd)
            assert second.exit_code == 2, second.output
            assert "another aieco command is writing to this folder right now" in second.output
            assert "Traceback" not in second.output
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


def test_a_staging_folder_left_by_a_killed_writer_is_removed_by_the_next(tmp_path):
    from sim.analysis.folders import finished_folder

    stale = tmp_path / ".out.partial-abc123"
    stale.mkdir()
    (stale / "timeseries.parquet").write_text("half")
    with finished_folder(tmp_path / "out") as staging:
        (staging / "manifest.json").write_text("{}")
    assert _leftovers(tmp_path) == [] and (tmp_path / "out" / "manifest.json").is_file()


def test_replacing_a_folder_keeps_the_results_nested_in_it_and_nothing_else(tmp_path):
    """`aieco validate` writes results/<name>/validation: a later `aieco run --overwrite` of results/<name>
    replaces the run's files but keeps that nested results folder; a folder of other files is never replaced."""
    from sim.analysis.folders import FolderError, finished_folder

    target = tmp_path / "out"
    (target / "validation").mkdir(parents=True)
    (target / "validation" / "manifest.json").write_text('{"kind": "validation"}')
    with finished_folder(target) as staging:  # no run results yet: allowed, the nested folder kept
        (staging / "manifest.json").write_text('{"kind": "run", "n": 1}')
    with finished_folder(target, overwrite=True) as staging:
        (staging / "manifest.json").write_text('{"kind": "run", "n": 2}')
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "validation"]
    assert '"n": 2' in (target / "manifest.json").read_text()
    assert (target / "validation" / "manifest.json").read_text() == '{"kind": "validation"}'
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    hidden = tmp_path / "repo"
    (hidden / ".git").mkdir(parents=True)
    for folder in (other, hidden):
        with pytest.raises(FolderError, match="not a results folder"):
            with finished_folder(folder, overwrite=True):
                pass
    assert (hidden / ".git").is_dir()
    with pytest.raises(FolderError, match="already holds results"):
        with finished_folder(target):
            pass
    assert (other / "notes.txt").read_text() == "mine" and _leftovers(tmp_path) == []


def test_dashboard_export_appears_whole_and_replaces_only_an_earlier_export(tmp_path):
    from sim.analysis.compare import run_comparison
    from sim.analysis.folders import FolderError
    from sim.analysis.runs import run_replications
    from sim.dashboard.session import Outcome, export
    from sim.scenario.schema import load_scenario, with_values

    start_path = _scenario(tmp_path, months=3)
    start = load_scenario(start_path, ["developers.n=100"])
    edited = with_values(start, {"name": "edited", "labs.beta": 6.0})
    comp = run_comparison([start, edited], 1, names=["start", "edited"])
    o = Outcome(start_path, start, edited, comp, {"edited": run_replications(edited, 1)}, 0.1)
    folder = tmp_path / "export"
    paths = export(o, folder)
    assert [p.name for p in paths] == ["edited.toml", "run", "compare"]
    assert all(p.exists() for p in paths) and (folder / "run" / "manifest.json").is_file()
    assert load_scenario(folder / "edited.toml").labs.beta == 6.0
    export(o, folder)  # an earlier export is replaced
    assert sorted(p.name for p in folder.iterdir()) == ["compare", "edited.toml", "run"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(FolderError, match="not a results folder"):
        export(o, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and _leftovers(tmp_path) == []


def test_streaming_writers_take_the_same_lock(tmp_path):
    """sweep and sensitivity write their folders in parts; a second writer is refused at once, exit 2."""
    from filelock import FileLock

    base = ROOT / "scenarios" / "baseline.toml"
    sweep_spec = tmp_path / "sweep.toml"
    sweep_spec.write_text(f'base = "{base}"\ndesign = "grid"\n[set]\nmonths = 2\n"developers.n" = 100\n'
                          '[[factors]]\npath = "labs.beta"\nlevels = [1.0, 2.0]\n')
    sens_spec = tmp_path / "sens.toml"
    sens_spec.write_text(f'base = "{base}"\n[set]\nmonths = 2\n"developers.n" = 100\n[design]\nkind = "morris"\n'
                         'samples = 4\n[[factors]]\npath = "labs.beta"\nrange = [1.0, 5.0]\n'
                         '[[factors]]\npath = "labs.spill_coef"\nrange = [0.1, 0.9]\n')
    for cmd, spec in (("sweep", sweep_spec), ("sensitivity", sens_spec)):
        out = tmp_path / f"{cmd}-out"
        out.mkdir()
        with FileLock(out / ".lock", timeout=0):  # another writer holds the folder
            res = CliRunner().invoke(main, [cmd, str(spec), "--executor", "serial", "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert "another aieco command is writing to this folder right now" in res.output, res.output
        assert [p.name for p in out.iterdir()] == [".lock"]


LATE = "name,region,training_compute_flop,strategy,open_bias,entry\nA,US,1e24,CLOSED,0,\nB,CN,1e23,OPEN,0,2030-01\n"


def test_a_lab_entering_after_the_horizon_leaves_its_region_without_labs(tmp_path):
    """A lab that enters after the horizon never takes part: its region's outputs are those of a region without
    labs (undefined: NaN, shown n/a), every other output is finite, and the run says n/a, not nan."""
    (tmp_path / "late.csv").write_text(LATE)
    s = tmp_path / "s.toml"
    s.write_text('name = "late"\nroster = "late.csv"\nmonths = 6\n[developers]\nn = 100\n')
    res = CliRunner().invoke(main, ["run", str(s), "--no-figures", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "Open share, CN" in res.output and "nan" not in res.output.lower().replace("n/a", "")
    assert "note: " in res.output and "every CN lab enters after the horizon (the first in 2030-01)" in " ".join(
        res.output.split())
    import pandas as pd

    summary = pd.read_parquet(tmp_path / "o" / "summary.parquet")
    assert summary["open_share_CN"].isna().all() and summary["open_share_US"].notna().all()


def test_a_horizon_without_an_open_lab_runs_without_a_warning(tmp_path):
    """A frontier history that starts before any lab (-inf) gives a lag without a division warning
    (sim.model.capability.lag_months: the level was reached in the first month with a frontier)."""
    from sim.analysis.runs import run_one
    from sim.scenario.schema import load_scenario

    (tmp_path / "late.csv").write_text(LATE)
    (tmp_path / "s.toml").write_text('name = "late"\nroster = "late.csv"\nmonths = 12\n[developers]\nn = 100\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(5):
            run_one(load_scenario(tmp_path / "s.toml"), seed=seed)


def test_figure_sidecars_name_the_published_folder_not_the_staging_one(tmp_path):
    """Figures are drawn in the staging folder; their provenance names the folder they are published in."""
    from sim.analysis.folders import finished_folder, published_path
    from sim.plots.style import provenance

    out = tmp_path / "out"
    with finished_folder(out) as staging:
        (staging / "manifest.json").write_text('{"kind": "run", "seeds": [1]}')
        assert provenance(staging)["results"] == str(out)
        assert published_path(staging / "figures" / "a.png") == out / "figures" / "a.png"
    assert published_path(out / "x") == out / "x" and _leftovers(tmp_path) == []


def test_figures_are_moved_into_their_folder_when_all_are_drawn(tmp_path, monkeypatch):
    """`aieco figures` collects figures of two widths (and hand-written files) in one folder
    (scripts/make_figures.sh): drawn aside and moved in when all are drawn; an interrupted drawing leaves the
    folder as it was."""
    import sim.plots.catalogue as catalogue

    run = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(_scenario(tmp_path, months=2)), *SMALL, "--no-figures",
                                    "--out", str(run)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "figs"
    out.mkdir()
    (out / "README.md").write_text("by hand")

    def fake_draw(results_dir, formats, width, out_dir, note=None, metrics=None):
        if width == "broken":
            (Path(out_dir) / "half_broken.png").write_bytes(b"half")
            raise KeyboardInterrupt
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        paths = [Path(out_dir) / f"fan_{width}.png", Path(out_dir) / f"fan_{width}.json"]
        for p in paths:
            p.write_text(width)
        return paths

    monkeypatch.setattr(catalogue, "draw_figures", fake_draw)
    for width in ("double", "single"):
        res = CliRunner().invoke(main, ["figures", str(run), "--format", "png", "--width", width, "--out", str(out)])
        assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "fan_double.json", "fan_double.png",
                                                      "fan_single.json", "fan_single.png"]
    assert f"{out / 'fan_single.png'}" in res.output
    monkeypatch.setattr(catalogue, "draw_figures", lambda r, f, w, o, note=None, metrics=None: fake_draw(r, f, "broken", o))
    res = CliRunner().invoke(main, ["figures", str(run), "--format", "png", "--out", str(out)])
    assert res.exit_code == 130 and "nothing written to" in res.output, res.output
    assert "half_broken.png" not in [p.name for p in out.iterdir()] and _leftovers(tmp_path) == []
