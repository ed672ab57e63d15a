"""Results that survive damage: unreadable Parquet parts are reported, set aside and rerun by --resume; a
full disk ends a sweep with one line and the continuation command; manifests get the umask's mode;
an interrupted process pool leaves no thread behind to race at exit."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import textwrap
import time
import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import BASELINE, TINY_SET

from sim.analysis.sweep import load_results, load_spec, load_timeseries, run_sweep, store
from sim.cli import main

SPEC = """
replications = 2
design = "grid"
timeseries = true
[[factors]]
path = "labs.beta"
levels = [2.0, 8.0]
"""


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("spec") / "spec.toml"
    p.write_text(f'base = "{BASELINE}"\n' + textwrap.dedent(SPEC) + TINY_SET)
    return p


@pytest.fixture(scope="module")
def finished(spec_file, tmp_path_factory):
    """A finished sweep: 2 points x 2 replications, one part per run (copy it before changing it)."""
    out = tmp_path_factory.mktemp("finished") / "out"
    run_sweep(load_spec(spec_file), out, executor="serial", progress=False, batch_size=1)
    return out


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "zeroed":
        path.write_bytes(b"\0" * len(data))
    elif how == "overwritten":
        path.write_bytes(b"not parquet at all\n" * 20)
    elif how == "empty":
        path.write_bytes(b"")


def _resume(spec_file, out):
    return CliRunner().invoke(main, ["sweep", str(spec_file), "--out", str(out), "--executor", "serial",
                                     "--resume", "--no-progress"])


@pytest.mark.parametrize("how", ["truncated", "zeroed", "overwritten", "empty"])
@pytest.mark.parametrize("folder", [store.SUMMARY_DIR, store.TIMESERIES_DIR])
def test_unreadable_part_is_reported_set_aside_and_rerun(finished, spec_file, tmp_path, how, folder):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    expected = load_results(finished)
    expected_ts = load_timeseries(finished)
    part = sorted((out / folder).iterdir())[1]
    _damage(part, how)
    # reading still works, leaves the part's runs out and says which part
    with pytest.warns(store.StoreWarning, match=part.name):
        df = load_results(out) if folder == store.SUMMARY_DIR else load_timeseries(out)
    assert len(df) == (len(expected) - 1 if folder == store.SUMMARY_DIR else len(expected_ts) - 24)
    res = CliRunner().invoke(main, ["results", str(out)])
    assert res.exit_code == 0 and f"{folder}/{part.name}" in res.output and "cannot be read" in res.output, \
        res.output
    # a resume sets it aside and runs exactly its run again: the full set, none twice, identical values
    res = _resume(spec_file, out)
    assert res.exit_code == 0, res.output
    assert "set aside 1 unreadable part" in res.output and "resuming: 3 of 4" in res.output, res.output
    assert (out / store.UNREADABLE_DIR / folder / part.name).is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, got_ts = load_results(out), load_timeseries(out)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got_ts, expected_ts)


def test_unreadable_design_falls_back_to_the_manifest(finished, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    _damage(out / store.DESIGN, "zeroed")
    pd.testing.assert_frame_equal(load_results(out), load_results(finished))


def _full_disk_after(monkeypatch, n_ok: int) -> list[int]:
    """Make every Parquet and JSON write after the first ``n_ok`` fail with ENOSPC (after writing a few
    bytes, as a full disk does). Returns a counter list [writes so far]."""
    calls = [0]
    real_write_table, real_dump = pq.write_table, store.write_json_atomic.__globals__["json"].dump

    def full(where) -> None:
        calls[0] += 1
        if calls[0] > n_ok:
            if isinstance(where, str | os.PathLike):
                with open(where, "wb") as f:
                    f.write(b"PAR1")
            else:  # pandas passes an open file
                where.write(b"PAR1")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), getattr(where, "path", str(where)))

    def write_table(table, where, *a, **kw):
        full(where)
        return real_write_table(table, where, *a, **kw)

    def dump(obj, fp, *a, **kw):
        calls[0] += 1
        if calls[0] > n_ok:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_dump(obj, fp, *a, **kw)

    monkeypatch.setattr(pq, "write_table", write_table)
    monkeypatch.setattr(store.write_json_atomic.__globals__["json"], "dump", dump)
    return calls


@pytest.mark.parametrize("n_ok", [0, 3, 6])
def test_disk_full_during_a_sweep(spec_file, finished, tmp_path, monkeypatch, n_ok):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _full_disk_after(m, n_ok)
        res = CliRunner().invoke(main, ["sweep", str(spec_file), "--out", str(out), "--executor", "serial",
                                        "--no-progress", "--batch-size", "1"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, OSError)
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "--resume" in errors[0], res.output
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")] if out.exists() else True
    if (out / store.MANIFEST).is_file():  # disk freed: the resume completes the same set
        res = _resume(spec_file, out)
        assert res.exit_code == 0, res.output
        pd.testing.assert_frame_equal(load_results(out), load_results(finished))


def test_disk_full_during_a_run(tmp_path, monkeypatch):
    out = tmp_path / "o"
    with monkeypatch.context() as m:
        _full_disk_after(m, 1)
        res = CliRunner().invoke(main, ["run", str(BASELINE), "--months", "6", "--set", "developers.n=100",
                                        "--no-figures", "--out", str(out)])
    assert res.exit_code == 1 and "No space left on device" in res.output and "Traceback" not in res.output
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_manifest_mode_follows_the_umask(tmp_path, umask):
    from sim.analysis.provenance import write_json_atomic

    old = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "manifest.json", {"a": 1})
        (tmp_path / "plain.json").write_text("{}")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "manifest.json").stat().st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE((tmp_path / "plain.json").stat().st_mode)


def test_run_manifest_is_0644_under_umask_022(tmp_path):
    old = os.umask(0o022)
    try:
        res = CliRunner().invoke(main, ["run", str(BASELINE), "--months", "6", "--set", "developers.n=100",
                                        "--no-figures", "--out", str(tmp_path / "o")])
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    for f in ("manifest.json", "summary.parquet"):
        assert stat.S_IMODE((tmp_path / "o" / f).stat().st_mode) == 0o644


def test_killed_pool_leaves_no_manager_thread_to_race_at_exit():
    """After an interrupt the pool's manager thread has ended, so CPython's exit hook cannot wake it through
    a pipe it is closing (``Exception ignored in: <module 'threading'> ... Bad file descriptor``)."""
    from sim.analysis.sweep.executors import _process_pool, kill_pool

    pool = _process_pool(2, "spawn")
    futures = [pool.submit(time.sleep, 30) for _ in range(4)]
    t0 = time.time()
    while not any(f.running() for f in futures) and time.time() - t0 < 60:
        time.sleep(0.05)
    thread = pool._executor_manager_thread
    kill_pool(pool)
    assert not thread.is_alive()
