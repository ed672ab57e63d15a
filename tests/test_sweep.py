"""Tests for the sweep layer (issue 5): designs, spec validation, executors, the store, resume, failures.

Every sweep here is tiny (archetype roster, 200 developers, 24 months, no dated events: ~0.03 s a run),
so the whole file runs in well under a minute and a half on two cores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASELINE, TINY_SET

import sim
from sim.analysis.runs import seed_for
from sim.analysis.sweep import load_results, load_spec, load_timeseries, run_sweep
from sim.analysis.sweep.designs import design_matrix, n_points
from sim.analysis.sweep.spec import SpecError
from sim.cli import main
from sim.scenario.schema import field_info

ROOT = Path(__file__).resolve().parents[1]


FAILING_MODEL = '''
"""A run function for tests: fails when labs.beta is above 5, else runs the model."""
from sim.analysis.runs import run_one as _run_one


def run_one(scenario, seed, roster=None):
    if scenario.labs.beta > 5:
        raise ValueError(f"beta {scenario.labs.beta} is too high for this test")
    return _run_one(scenario, seed, roster)
'''


def write_spec(tmp: Path, body: str, name: str = "spec.toml", tiny: bool = True) -> Path:
    text = f'base = "{BASELINE}"\n' + textwrap.dedent(body) + (TINY_SET if tiny else "")
    p = tmp / name
    p.write_text(text)
    return p


GRID = """
replications = 2
design = "grid"
[[factors]]
name = "control"
path = "governments.US.export_control.CN"
levels = [0.0, 0.5, 1.0]
[[factors]]
path = "labs.beta"
range = [2.0, 8.0]
n_levels = 2
"""


# --------------------------------------------------------------------------------------------- designs

def _factors(*entries: str) -> str:
    return "".join(f"[[factors]]\n{e}\n" for e in entries)


def test_grid_size_levels_and_order(tmp_path):
    spec = load_spec(write_spec(tmp_path, GRID))
    m, u = design_matrix(spec)
    assert u is None and n_points(spec) == len(m) == 6
    assert list(m["point"]) == list(range(6))
    assert list(m["control"]) == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]  # first factor slowest
    assert list(m["labs.beta"]) == [2.0, 8.0] * 3


@pytest.mark.parametrize("design, expected", [
    ('[design]\nkind = "lhs"\nsamples = 50\n', 50),
    ('[design]\nkind = "sobol"\nsamples = 16\n', 16 * (2 * 4 + 2)),
    ('[design]\nkind = "sobol"\nsamples = 16\ncalc_second_order = false\n', 16 * (4 + 2)),
    ('[design]\nkind = "morris"\nsamples = 10\nnum_levels = 4\n', 10 * (4 + 1)),
])
def test_sampled_designs_size_and_bounds(tmp_path, design, expected):
    factors = _factors('path = "labs.beta"\nrange = [1.0, 10.0]',
                       'path = "compute.alt_supply_h100e.CN"\nrange = "plausible"\ndistribution = "loguniform"',
                       'path = "labs.release_cycle_months"\nrange = [6, 18]',
                       'path = "developers.w_open_mean"\ndistribution = "normal"\nmean = 0.5\nsd = 2.0\n'
                       'range = [0.0, 1.5]')
    spec = load_spec(write_spec(tmp_path, design + factors))
    m, u = design_matrix(spec)
    assert len(m) == n_points(spec) == expected
    assert u.shape == (expected, 4) and (u >= 0).all() and (u <= 1).all()
    assert m["labs.beta"].between(1.0, 10.0).all()
    lo, hi = field_info("compute.alt_supply_h100e.CN")["plausible"]  # the schema's plausible range
    assert m["compute.alt_supply_h100e.CN"].between(lo, hi).all()
    rc = m["labs.release_cycle_months"]
    assert rc.between(6, 18).all() and all(isinstance(v, int) for v in rc)
    assert m["developers.w_open_mean"].between(0.0, 1.5).all()
    if "lhs" in design:  # one point in each of the n strata of every factor
        for j in range(4):
            assert sorted(np.floor(u[:, j] * 50).astype(int)) == list(range(50))


def test_levels_in_a_sampled_design_and_seeded(tmp_path):
    body = '[design]\nkind = "lhs"\nsamples = 30\n' + _factors(
        'path = "labs.beta"\nlevels = [1.0, 4.0, 9.0]', 'path = "developers.token_price_elasticity"\nrange = [0.4, 0.8]')
    spec = load_spec(write_spec(tmp_path, body))
    m1, _ = design_matrix(spec)
    m2, _ = design_matrix(load_spec(write_spec(tmp_path, body)))
    assert set(m1["labs.beta"]) == {1.0, 4.0, 9.0} and (m1["labs.beta"].value_counts() == 10).all()
    pd.testing.assert_frame_equal(m1, m2)


# --------------------------------------------------------------------------------------------- bad input

BAD_SPECS = {
    "unknown path": ('design = "grid"\n' + _factors('path = "labs.bta"\nlevels = [1.0]'),
                     "did you mean 'labs.beta'"),
    "range outside": ('design = "grid"\n' + _factors('path = "labs.beta"\nrange = [1.0, 60.0]\nn_levels = 2'),
                      "outside the valid range of labs.beta"),
    "level outside": ('design = "grid"\n' + _factors('path = "governments.US.leakage"\nlevels = [0.5, 1.5]'),
                      "outside the valid range"),
    "unknown design": ('design = "latin"\n' + _factors('path = "labs.beta"\nrange = [1.0, 6.0]'),
                       "unknown design 'latin'; did you mean 'lhs'"),
    "sobol not 2^k": ('[design]\nkind = "sobol"\nsamples = 500\n'
                      + _factors('path = "labs.beta"\nrange = [1.0, 6.0]', 'path = "developers.token_price_elasticity"\nrange = [0.4, 0.8]'),
                      "500 is not a power of 2"),
    "unknown key": ('design = "grid"\nreplicatons = 3\n' + _factors('path = "labs.beta"\nlevels = [1.0]'),
                    "did you mean 'replications'"),
    "unknown metric": ('design = "grid"\nmetrics = ["open_share_XX"]\n' + _factors('path = "labs.beta"\nlevels = [1.0]'),
                       "unknown metric"),
    "invalid point": ('design = "grid"\n' + _factors('path = "developers.region_shares.CN"\nlevels = [0.15, 0.5]'),
                      "design point 1"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_spec_exits_2_and_writes_nothing(tmp_path, case):
    body, expected = BAD_SPECS[case]
    spec = write_spec(tmp_path, body)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["sweep", str(spec), "--executor", "serial", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert expected in res.output
    assert str(spec) in res.output or "spec.toml" in res.output  # names the file
    assert not out.exists()


def test_sobol_error_offers_nearest_power(tmp_path):
    body, _ = BAD_SPECS["sobol not 2^k"]
    with pytest.raises(SpecError, match=r"nearest are 256 and 512"):
        load_spec(write_spec(tmp_path, body))


def test_factor_overridden_by_events_needs_a_choice(tmp_path):
    body = 'design = "grid"\n' + _factors('path = "governments.US.export_control.CN"\nlevels = [0.2]')
    with pytest.raises(SpecError, match=r"dated events \(2022-10, 2023-10, 2024-12\).*from_month"):
        load_spec(write_spec(tmp_path, body, tiny=False))


def test_unreachable_scheduler_exits_2_quickly(tmp_path):
    spec = write_spec(tmp_path, GRID)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    res = CliRunner().invoke(main, ["sweep", str(spec), "--scheduler", "tcp://127.0.0.1:1", "--timeout", "1",
                                    "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "cannot reach the Dask scheduler" in res.output
    assert time.perf_counter() - t0 < 15
    assert not out.exists()


def test_existing_folder_needs_resume_and_same_spec(tmp_path):
    spec = write_spec(tmp_path, GRID.replace("replications = 2", "replications = 1"))
    out = tmp_path / "out"
    run_sweep(load_spec(spec), out, executor="serial", progress=False)
    r = CliRunner().invoke(main, ["sweep", str(spec), "--executor", "serial", "--out", str(out)])
    assert r.exit_code == 2 and "--resume" in r.output
    other = write_spec(tmp_path, GRID.replace("[0.0, 0.5, 1.0]", "[0.0, 0.6, 1.0]"), name="other.toml")
    r = CliRunner().invoke(main, ["sweep", str(other), "--executor", "serial", "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "different sweep" in r.output and "design" in r.output
    # growing the replications on resume runs only the new ones
    o = run_sweep(load_spec(spec), out, executor="serial", resume=True, replications=2, progress=False)
    assert (o.skipped, o.ran, o.ok, o.missing) == (6, 6, 12, 0)


def test_interrupt_prints_a_resume_command_that_works(tmp_path, monkeypatch):
    """Ctrl-C prints the command that continues the sweep; it keeps --replications and --set (a resume
    without the --set would be refused as a different sweep) and, run as printed, completes the set."""
    import shlex

    import sim.cli.sweep as cli_sweep

    monkeypatch.delenv("PYTHONPATH", raising=False)
    spec = write_spec(tmp_path, GRID)
    out = tmp_path / "out"
    real = cli_sweep.run_sweep

    def interrupted(sp, out, **kw):  # one replication of each point finishes, then Ctrl-C
        real(sp, out, **{**kw, "replications": 1, "progress": False})
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_sweep, "run_sweep", interrupted)
    args = ["sweep", str(spec), "--executor", "serial", "--out", str(out), "--replications", "3",
            "--set", "governments.US.leakage=0.3"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 130, r.output
    hint = r.output.split("Continue with: ")[1].strip()
    monkeypatch.setattr(cli_sweep, "run_sweep", real)
    words = shlex.split(hint)
    assert words[:2] == ["aieco", "sweep"] and words[-1] == "--resume"
    assert "--replications" in words and "governments.US.leakage=0.3" in words
    r = CliRunner().invoke(main, [*words[1:], "--executor", "serial", "--no-progress"])
    assert r.exit_code == 0, r.output
    df = load_results(out)
    assert len(df) == 6 * 3 and not df.duplicated(["point", "replication"]).any()


def test_two_drivers_never_share_a_folder(tmp_path):
    from filelock import FileLock

    from sim.analysis.sweep import SweepError

    out = tmp_path / "out"
    out.mkdir()
    with FileLock(out / ".lock", timeout=0):  # another driver holds it
        with pytest.raises(SweepError, match="another aieco command is writing to this folder"):
            run_sweep(load_spec(write_spec(tmp_path, GRID)), out, executor="serial", progress=False)
    assert [p.name for p in out.iterdir()] == [".lock"]


# --------------------------------------------------------------------------------------------- executors

@pytest.mark.slow
def test_serial_processes_and_dask_give_identical_tables(tmp_path):
    from distributed import LocalCluster

    spec = load_spec(write_spec(tmp_path, GRID))
    tables = {}
    o = run_sweep(spec, tmp_path / "serial", executor="serial", batch_size=1, progress=False)
    assert (o.ok, o.failed, o.missing) == (12, 0, 0)
    tables["serial"] = load_results(tmp_path / "serial")
    run_sweep(spec, tmp_path / "processes", executor="processes", workers=2, batch_size=5, progress=False)
    tables["processes"] = load_results(tmp_path / "processes")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        run_sweep(spec, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, progress=False)
    tables["dask"] = load_results(tmp_path / "dask")
    ref = tables["serial"]
    assert len(ref) == 12 and (ref["status"] == "ok").all()
    assert list(ref[["point", "replication"]].itertuples(index=False, name=None)) == [
        (p, r) for p in range(6) for r in range(2)]
    assert list(ref["seed"]) == [seed_for(spec.seed, p, r) for p in range(6) for r in range(2)]
    assert ref["open_share_CN"].nunique() > 1  # the runs differ
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(ref, tables[name], obj=name)
    pd.testing.assert_frame_equal(ref, sim.load_results(tmp_path / "serial"))  # the package-level entry point


def test_worker_does_not_keep_finished_models_alive(tmp_path):
    """mesa <= 3.3 keeps every model alive through the class attribute Agent._ids (mesa#3179); the worker
    releases them, so a long sweep's workers (and a serial driver) keep flat memory."""
    import gc

    import mesa

    def live_models() -> int:
        gc.collect()
        return sum(isinstance(o, mesa.Model) for o in gc.get_objects())

    before = live_models()  # models other tests may still hold
    run_sweep(load_spec(write_spec(tmp_path, GRID)), tmp_path / "out", executor="serial", progress=False)
    assert live_models() <= before  # none of the sweep's 12 models survives it


# --------------------------------------------------------------------------------------------- resume

@pytest.mark.slow
def test_resume_after_kill_gives_exactly_the_full_set(tmp_path):
    body = """
    replications = 5
    design = "grid"
    [[factors]]
    path = "labs.beta"
    levels = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    [[factors]]
    path = "governments.US.leakage"
    levels = [0.1, 0.3, 0.5]
    """  # 24 points x 5 = 120 runs
    spec_file = write_spec(tmp_path, body)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", "sweep", str(spec_file), "--executor",
           "processes", "--workers", "2", "--batch-size", "2", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            parts = list((out / "summary").glob("*.parquet")) if (out / "summary").is_dir() else []
            if len(parts) >= 4:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes, at once
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = load_results(out)
    assert 0 < len(before) < 120, "the kill should land mid-sweep"

    o = run_sweep(load_spec(spec_file), out, executor="serial", resume=True, progress=False)
    assert o.skipped == len(before) and o.ran == 120 - len(before)
    after = load_results(out)
    keys = list(after[["point", "replication"]].itertuples(index=False, name=None))
    assert keys == [(p, r) for p in range(24) for r in range(5)]  # none missing, none twice
    assert (after["status"] == "ok").all()
    # and identical to an uninterrupted sweep
    run_sweep(load_spec(spec_file), tmp_path / "clean", executor="serial", progress=False)
    pd.testing.assert_frame_equal(after, load_results(tmp_path / "clean"))


# --------------------------------------------------------------------------------------------- failures

def test_failing_runs_are_recorded_and_the_cli_exits_nonzero(tmp_path, monkeypatch):
    (tmp_path / "failing_model.py").write_text(FAILING_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_spec(tmp_path, GRID.replace("design =", 'run_function = "failing_model:run_one"\ndesign ='))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["sweep", str(spec), "--executor", "processes", "--workers", "2", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "6 of 12 runs failed" in res.output
    df = load_results(out)
    assert len(df) == 12
    bad = df[df["labs.beta"] > 5]
    good = df[df["labs.beta"] <= 5]
    assert (bad["status"] == "error").all() and (good["status"] == "ok").all()
    assert bad["error"].str.contains("ValueError: beta 8.0 is too high").all()
    assert bad["traceback"].str.contains("Traceback").all()
    assert bad["open_share_CN"].isna().all() and good["open_share_CN"].notna().all()
    r = CliRunner().invoke(main, ["results", str(out)])
    assert r.exit_code == 0 and "6 done" in r.output and "6 failed" in r.output and "0 missing" in r.output


def test_results_of_a_non_sweep_folder_exits_2(tmp_path):
    r = CliRunner().invoke(main, ["results", str(tmp_path)])
    assert r.exit_code == 2 and "not a sweep results folder" in r.output


# --------------------------------------------------------------------------------------------- options

def test_timeseries_parts_and_scenario_factor(tmp_path):
    alt = tmp_path / "strict.toml"
    alt.write_text(f'extends = "{BASELINE}"\nname = "strict"\n[governments.US]\nleakage = 0.0\n')
    body = f"""
    replications = 1
    timeseries = true
    metrics = ["open_share_CN", "us_cn_gap_months"]
    design = "grid"
    [[factors]]
    scenarios = ["{BASELINE}", "{alt}"]
    labels = ["baseline", "strict"]
    [[factors]]
    path = "labs.beta"
    levels = [2.0, 6.0]
    """
    text = textwrap.dedent(body) + TINY_SET
    spec_file = tmp_path / "scen.toml"
    spec_file.write_text(text)
    spec = load_spec(spec_file)
    out = tmp_path / "out"
    o = run_sweep(spec, out, executor="serial", progress=False)
    assert o.ok == 4
    df = load_results(out)
    assert list(df.columns[:5]) == ["point", "replication", "seed", "scenario", "labs.beta"]
    assert list(df["scenario"]) == ["baseline", "baseline", "strict", "strict"]
    assert {"open_share_CN", "us_cn_gap_months"} <= set(df.columns) and "hhi" not in df.columns
    ts = load_timeseries(out)
    assert len(ts) == 4 * 24 and set(ts["point"]) == {0, 1, 2, 3}
    assert (ts.loc[ts["point"] >= 2, "leakage_US"] == 0.0).all()


def test_a_run_function_declares_its_outputs(tmp_path):
    """`aieco sweep` runs a spec whose run function declares its own outputs (the Ishigami test function):
    the declared output is a valid metric, recorded with its unit, and its values are the function's."""
    from sim.analysis.testfunctions import ishigami_values

    text = (ROOT / "experiments" / "ishigami.toml").read_text()
    text = text.replace('base = "../scenarios/baseline.toml"', f'base = "{BASELINE}"')
    text = text.replace('kind = "sobol"', 'kind = "lhs"').replace("samples = 4096", "samples = 16")
    text = text.replace("calc_second_order = false\n", "")
    spec = tmp_path / "ishigami.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["sweep", str(spec), "--executor", "serial", "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    df = load_results(out).sort_values("point")
    assert len(df) == 16
    np.testing.assert_allclose(df["ishigami"], ishigami_values(df[["x1", "x2", "x3"]].to_numpy()), rtol=1e-12)
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["metrics"]["ishigami"][0] == "1"
    # a metric the function does not declare is refused, and the message lists what it declares
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('metrics = ["ishigami"]', 'metrics = ["ishigamy"]'))
    with pytest.raises(SpecError, match=r"did you mean 'ishigami'.*declares \(ishigami\)"):
        load_spec(bad)


@pytest.mark.parametrize("total, size, workers", [(200, 13, 2), (10_000, 64, 2), (7, 64, 4), (10, 4, 1), (1, 5, 3)])
def test_batch_sizes_cover_every_run_and_shrink_at_the_tail(total, size, workers):
    from sim.analysis.sweep.runner import batch_sizes

    sizes = batch_sizes(total, size, workers)
    assert sum(sizes) == total and all(1 <= n <= size for n in sizes)
    assert sizes == sorted(sizes, reverse=True) or workers == 1
    if workers > 1:
        # the last 2 x workers tasks hold at most one run each: no worker idles behind a full batch
        assert all(n == 1 for n in sizes[-min(len(sizes), 2 * workers) + 1:]) or total < 2 * workers


STUCK_MODEL = '''
"""A run function for tests: runs the model, but gets stuck (sleeps for ten minutes) at the last grid point
(US export control on China 1.0, labs.beta 8)."""
import time

from sim.analysis.runs import run_one as _run_one


def run_one(scenario, seed, roster=None):
    if scenario.labs.beta > 5 and scenario.governments["US"].export_control.get("CN", 0) > 0.99:
        time.sleep(600)
    return _run_one(scenario, seed, roster)
'''


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_interrupt_with_stuck_runs_exits_at_once_and_leaves_no_workers(tmp_path, sig, code):
    """Ctrl-C (SIGINT to the driver) and SIGTERM (kill, SLURM's scancel) while worker processes are stuck in
    runs: the driver terminates its workers, records the session as interrupted, prints the continuation
    command and exits within seconds (it used to wait for the stuck runs forever). After kill -9 of the
    driver alone, the orphaned workers notice within seconds and end themselves."""
    import json

    (tmp_path / "stuck_model.py").write_text(STUCK_MODEL)
    spec = write_spec(tmp_path, GRID.replace("design =", 'run_function = "stuck_model:run_one"\ndesign ='))
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", "sweep", str(spec), "--executor",
           "processes", "--workers", "2", "--batch-size", "1", "--out", str(out), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        deadline = time.time() + 90  # until 10 of the 12 runs are done and both workers are stuck
        while time.time() < deadline and proc.poll() is None:
            parts = list((out / "summary").glob("*.parquet")) if (out / "summary").is_dir() else []
            if len(parts) >= 10:
                break
            time.sleep(0.05)
        time.sleep(1.0)
        assert proc.poll() is None, "the sweep should be stuck, not finished"
        t0 = time.time()
        proc.send_signal(sig)  # to the driver only, as `kill` does
        _, err = proc.communicate(timeout=30)
        stopped_in = time.time() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, err
    assert stopped_in < 15

    def survivors() -> list[str]:
        ps = subprocess.run(["ps", "-eo", "pid,pgid,args"], capture_output=True, text=True).stdout
        return [line for line in ps.splitlines() if line.split()[1:2] == [str(proc.pid)] and "<defunct>" not in line]

    # no worker process of this session survives (they would sit on a core for ten minutes); a process in
    # the middle of exiting may still be listed for a moment
    deadline = time.time() + (15 if sig == signal.SIGKILL else 5)
    while survivors() and time.time() < deadline:
        time.sleep(0.2)
    left = survivors()
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    if sig == signal.SIGKILL:  # nothing could be recorded; the workers must still go away by themselves
        assert not [x for x in left if "resource_tracker" not in x], left
        return
    assert not left, left
    # the run function is found through PYTHONPATH, so the continuation command sets it again
    assert f"Continue with: PYTHONPATH={tmp_path}" in err and " aieco sweep " in err and "--resume" in err
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert sessions[-1]["interrupted"] is True, sessions[-1]
    assert len(load_results(out)) == 10  # the finished runs are kept


def test_seed_modes(tmp_path):
    """`seeds = "common"`: replication r of every point has the seed aieco compare gives replication r
    (paired differences); `"block"`: the points of a Saltelli block share seeds, blocks differ; "block" is
    refused for a grid; changing the mode of a started sweep is refused on resume."""
    from sim.analysis.sweep.runner import plan_sweep

    common = write_spec(tmp_path, GRID.replace("replications = 2", 'replications = 2\nseeds = "common"'), "c.toml")
    plan = plan_sweep(load_spec(common))
    sp = plan.spec
    assert {plan.seed(p, 1) for p in range(plan.n_points)} == {seed_for(sp.seed, 1)}
    assert plan.seed(0, 0) != plan.seed(0, 1)
    sobol = write_spec(tmp_path, 'seeds = "block"\n[design]\nkind = "sobol"\nsamples = 4\ncalc_second_order = false\n'
                       + _factors('path = "labs.beta"\nrange = [2.0, 8.0]', 'path = "governments.US.leakage"\nrange = [0.1, 0.5]'),
                       "s.toml")
    plan = plan_sweep(load_spec(sobol))
    assert plan.seed_block == 4 and plan.n_points == 16  # N x (k + 2), k = 2
    seeds = [plan.seed(p, 0) for p in range(16)]
    assert all(len(set(seeds[b * 4:(b + 1) * 4])) == 1 for b in range(4)) and len(set(seeds)) == 4
    with pytest.raises(SpecError, match="'seeds'.*needs design 'sobol' or 'morris'"):
        load_spec(write_spec(tmp_path, GRID.replace("replications = 2", 'seeds = "block"'), "g.toml"))
    out = tmp_path / "out"
    run_sweep(load_spec(common), out, executor="serial", progress=False)
    indep = write_spec(tmp_path, GRID, "i.toml")
    r = CliRunner().invoke(main, ["sweep", str(indep), "--executor", "serial", "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "seeds" in r.output


def test_dry_run_resume_says_what_would_run(tmp_path):
    spec = write_spec(tmp_path, GRID.replace("replications = 2", "replications = 1"))
    out = tmp_path / "out"
    run_sweep(load_spec(spec), out, executor="serial", progress=False)
    r = CliRunner().invoke(main, ["sweep", str(spec), "--out", str(out), "--resume", "--dry-run", "--replications", "3"])
    assert r.exit_code == 0 and "6 of 18 runs done (0 failed); 12 runs would run" in r.output, r.output
    other = write_spec(tmp_path, GRID.replace("[0.0, 0.5, 1.0]", "[0.0, 0.6, 1.0]"), name="other.toml")
    r = CliRunner().invoke(main, ["sweep", str(other), "--out", str(out), "--resume", "--dry-run"])
    assert r.exit_code == 2 and "different sweep" in r.output
    assert len(load_results(out)) == 6  # a dry run runs nothing
