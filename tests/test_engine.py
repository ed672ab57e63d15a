"""The engine of issue 25: its array formulations give the same numbers, bit for bit, as the reference
formulas of :mod:`sim.model.market` and :mod:`sim.model.distillation`, and the model gives the same tables as
the engine before the rewrite (commit 1737e6e; digests in ``tests/data/engine_digests.json``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model.distillation import distilled_capabilities, distilled_capability, reachable_teachers
from sim.model.ecosystem import EcosystemModel
from sim.model.market import (
    accessibility,
    choose,
    choose_t,
    deterministic_utility,
    group_utility_t,
    row_sums_t,
)
from sim.scenario.schema import load_scenario, with_values

ROOT = Path(__file__).resolve().parents[1]
DIGESTS = ROOT / "tests" / "data" / "engine_digests.json"


def _digest(df: pd.DataFrame) -> str:
    """SHA-256 of a table: column names in order, numeric columns as float64 bytes, others as joined text."""
    h = hashlib.sha256()
    for c in df.columns:
        h.update(str(c).encode() + b"\0")
        col = df[c].to_numpy()
        if col.dtype.kind in "fiub":
            h.update(np.ascontiguousarray(col, dtype=np.float64).tobytes())
        else:
            h.update("\x1f".join(map(str, col)).encode())
    return h.hexdigest()


def _tables(case: str, settings: dict) -> dict[str, str]:
    name, seed = case.split("/")
    m = EcosystemModel(with_values(load_scenario(ROOT / "scenarios" / f"{name}.toml"), settings), seed=int(seed))
    m.run()
    return {"timeseries": _digest(m.timeseries()), "releases": _digest(m.release_log()),
            "labs": _digest(m.lab_panel())}


def write_digests(path: Path = DIGESTS) -> None:
    """Regenerate the digests from the current engine (only after a deliberate change of the science)."""
    data = json.loads(path.read_text())
    data["cases"] = {case: _tables(case, data["settings"]) for case in data["cases"]}
    path.write_text(json.dumps(data, indent=1) + "\n")


@pytest.mark.parametrize("case", list(json.loads(DIGESTS.read_text())["cases"]))
def test_tables_identical_to_the_engine_before_the_rewrite(case):
    data = json.loads(DIGESTS.read_text())
    assert _tables(case, data["settings"]) == data["cases"][case]


def _developers(rng, n, n_groups):
    group = np.sort(rng.integers(0, n_groups, n))
    return (np.maximum(0, rng.normal(1, 0.3, n)), rng.normal(0.5, 0.5, n), np.maximum(0, rng.normal(1, 0.5, n)),
            group)


@pytest.mark.parametrize("seed", range(5))
def test_transposed_utility_is_the_reference_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    n, k, n_regions, n_seg = 700, 37, 4, 4
    w_cap, w_open, w_sov, group = _developers(rng, n, n_regions * n_seg)
    group_region = np.repeat(np.arange(n_regions), n_seg)
    cap = rng.normal(25, 1, k)
    lab_open = rng.random(k) < 0.4
    share = rng.dirichlet(np.ones(k))
    lp, dm = rng.normal(0, 1, (n_regions, k)), rng.random((n_regions, k)) * (rng.random((n_regions, k)) < 0.7)
    w_price_group = rng.random(n_regions * n_seg)
    ref = deterministic_utility(w_cap, w_open, w_sov, group_region[group], group, cap, lab_open, share, c_scale=0.5,
                                log_price_rk=lp, distrust_rk=dm, w_price_group=w_price_group,
                                group_region=group_region, w_net=0.3)
    per_group = 0.3 * np.log(share + 1e-3) - w_price_group[:, None] * lp[group_region]
    got = group_utility_t(w_cap, w_open, w_sov, np.bincount(group, minlength=16), (cap - cap.max()) / 0.5, lab_open,
                          dm[group_region].T, per_group.T)
    assert got.shape == (k, n)
    np.testing.assert_array_equal(got, ref.T)


@pytest.mark.parametrize("k", [1, 5, 8, 37, 61, 128, 129, 300])
def test_transposed_choice_and_row_sums_are_the_reference(k):
    rng = np.random.default_rng(k)
    v = rng.normal(0, 2, (500, k))
    access = rng.random((500, k)) < 0.6
    access[:7] = False  # developers with no accessible model choose nothing
    a = choose(v, access, np.random.default_rng(1))
    b = choose_t(np.ascontiguousarray(v.T), ~access.T, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(b >= 0, access.any(axis=1))
    assert access[b >= 0, b[b >= 0]].all()
    e = np.exp(v)
    np.testing.assert_array_equal(row_sums_t(np.ascontiguousarray(e.T)), e.sum(axis=1))


def test_choice_among_some_models_is_the_choice_among_all():
    """Leaving out models no one may use (rows) does not change any draw."""
    rng = np.random.default_rng(3)
    k, n = 20, 400
    v = rng.normal(0, 2, (n, k))
    access = rng.random((n, k)) < 0.7
    gone = np.array([0, 3, 4, 11, 19])  # inactive: inaccessible to everyone, including the first and last model
    access[:, gone] = False
    rows = np.setdiff1d(np.arange(k), gone)
    a = choose(v, access, np.random.default_rng(5))
    b = choose_t(np.ascontiguousarray(v[:, rows].T), ~access[:, rows].T, np.random.default_rng(5), rows=rows,
                 n_models=k)
    np.testing.assert_array_equal(a, b)


def test_batched_distillation_is_the_single_student_one():
    rng = np.random.default_rng(4)
    k, d = 30, 6
    region = rng.integers(0, 4, k)
    teacher_open, active = rng.random(k) < 0.5, rng.random(k) < 0.8
    block, ban = rng.random((4, 4)) < 0.3, rng.random(4) < 0.5
    open_banned = rng.random((4, 4)) < 0.3
    students = rng.integers(0, 4, d)
    eff = reachable_teachers(students, region, teacher_open, active, block, ban, 0.5, open_banned[students])
    cap, flop = rng.normal(25, 1, k), 10 ** rng.normal(25, 0.7, k)
    own, own_flop = rng.normal(24.5, 1, d), 10 ** rng.normal(24.5, 0.7, d)
    own[0], own_flop[1] = -np.inf, 0.0  # no own model; no own compute
    new, teacher = distilled_capabilities(own, own_flop, cap, flop, eff, 0.63, 0.53)
    for j in range(d):
        one = reachable_teachers(int(students[j]), region, teacher_open, active, block, ban, 0.5,
                                 open_banned[students[j]])
        np.testing.assert_array_equal(eff[j], one)
        c, t = distilled_capability(own[j], own_flop[j], cap, flop, one, 0.63, 0.53)
        assert new[j] == c and teacher[j] == t
    assert teacher[0] == -1 and teacher[1] == -1


@pytest.mark.parametrize("name", ["baseline", "us_ban_cn_open", "weight_export_controls"])
def test_group_tables_are_the_reference_demand_matrices(name):
    """Prices, distrust and access per developer group (cached policy terms) equal the reference formulas."""
    sc = with_values(load_scenario(ROOT / "scenarios" / f"{name}.toml"), {"months": 48, "developers.n": 400})
    m = EcosystemModel(sc, seed=3)
    for _ in range(47):
        m.step()
    s, p, gr = m.labs_state, sc.developers, m.group_region
    labs = np.arange(m.n_labs)
    c_rel, dist, per_group, blocked = m._group_tables(labs)
    lp, dm = m._demand_matrices(s.region, s.open, s.train_flop)
    np.testing.assert_array_equal(dist, dm[gr].T)
    ref = p.w_net * np.log(m.share + 1e-3) - m.dev.w_price_group[:, None] * lp[gr]
    np.testing.assert_array_equal(per_group, ref.T)
    np.testing.assert_array_equal(c_rel, (s.capability - s.capability.max()) / p.c_scale)
    acc = accessibility(gr, s.region, s.open, m.api_block, m.ban_foreign_closed, m.open_ban_groups) & s.active
    np.testing.assert_array_equal(~blocked.T, acc)
