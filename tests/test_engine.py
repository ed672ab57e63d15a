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


LATER_COLUMNS = ("x_imitation", "x_learned", "x_inertia", "switched")
"""Columns added to the release log and lab panel after the digests were taken (issue 28: the theories of the
release decision and the switches); the digests cover the tables without them (under the default, myopic, they are
0 and the switches a function of the strategies)."""


def _tables(case: str, settings: dict) -> dict[str, str]:
    name, seed = case.split("/")
    m = EcosystemModel(with_values(load_scenario(ROOT / "scenarios" / f"{name}.toml"), settings), seed=int(seed))
    m.run()
    releases, labs = (df.drop(columns=[c for c in LATER_COLUMNS if c in df]) for df in (m.release_log(), m.lab_panel()))
    return {"timeseries": _digest(m.timeseries()), "releases": _digest(releases), "labs": _digest(labs)}


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


# ---------------------------------------------------------------------------------------------------------------
# The compiled loops (sim.model.kernels, sim.model.kernels_books) give the numbers of the numpy formulations above, bit for bit.

def _kernel_inputs(seed, n, k, n_groups=16):
    rng = np.random.default_rng(seed)
    w_cap, w_open, w_sov, group = _developers(rng, n, n_groups)
    counts = np.bincount(group, minlength=n_groups)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
    c_rel = rng.normal(-1, 1, k)
    lab_open = rng.random(k) < 0.4
    dist = rng.random((k, n_groups)) * (rng.random((k, n_groups)) < 0.7)
    per_group = rng.normal(0, 1, (k, n_groups))
    blocked = rng.random((k, n_groups)) < 0.25
    blocked[:, 0] = True  # a group with no accessible model
    return rng, (w_cap, w_open, w_sov, group, counts, bounds), (c_rel, lab_open, dist, per_group, blocked)


@pytest.mark.parametrize("seed,n,k", [(0, 300, 1), (1, 700, 37), (2, 250, 61), (3, 900, 130)])
def test_compiled_choice_is_the_reference(seed, n, k):
    from sim.model.kernels import draw, utilities, zero_blocked

    rng, (w_cap, w_open, w_sov, group, counts, bounds), (c_rel, lab_open, dist, per_group, blocked) = \
        _kernel_inputs(seed, n, k)
    keep = rng.integers(-1, k, n)  # the row of the model a reviewer may keep, -1 for none
    ref = group_utility_t(w_cap, w_open, w_sov, counts, c_rel, lab_open, dist, per_group)
    ref[keep[keep >= 0], np.flatnonzero(keep >= 0)] += 1.0
    rows = np.sort(rng.choice(k + 5, k, replace=False))
    a = choose_t(ref, np.repeat(blocked, counts, axis=1), np.random.default_rng(9), rows=rows, n_models=k + 5)
    v = np.empty((k, n))
    utilities(w_cap, w_open, w_sov, bounds, c_rel, lab_open, dist, per_group, blocked, k, keep, 1.0, v)
    np.exp(v, out=v)
    zero_blocked(v, blocked, bounds)
    b = draw(v, np.random.default_rng(9).random(n), np.append(rows, k + 4))
    np.testing.assert_array_equal(a, b)


def test_compiled_payoff_sample_terms_are_the_reference():
    from sim.model.kernels import utilities

    _, (w_cap, w_open, w_sov, group, counts, bounds), (c_rel, lab_open, dist, per_group, blocked) = \
        _kernel_inputs(5, 800, 50)
    n_top = 40  # the active models; the rows below them are counterfactual columns
    v = group_utility_t(w_cap, w_open, w_sov, counts, c_rel, lab_open, dist, per_group)
    b = np.repeat(blocked, counts, axis=1)
    np.copyto(v, -np.inf, where=b)
    ref = np.where(np.repeat(~blocked[:n_top].all(axis=0), counts), v[:n_top].max(axis=0), 0.0)
    expect = np.where(b, 0.0, v - ref)
    got = np.empty_like(v)
    shift = utilities(w_cap, w_open, w_sov, bounds, c_rel, lab_open, dist, per_group, blocked, n_top,
                      np.full(800, -1), 0.0, got)
    np.testing.assert_array_equal(shift, ref)
    np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("k", [1, 5, 8, 37, 61, 128])
def test_placed_row_sums_are_row_sums_t(k):
    from sim.model.kernels import placed_row_sums

    rng = np.random.default_rng(k)
    pos = np.sort(rng.choice(k, max(1, (2 * k) // 3), replace=False))
    e = rng.random((len(pos), 300)) * 10.0 ** rng.uniform(-3, 3, (len(pos), 1))
    dense = np.zeros((k, 300))
    dense[pos] = e
    np.testing.assert_array_equal(placed_row_sums(e, pos, k), row_sums_t(dense))


@pytest.mark.parametrize("n", [1, 7, 8, 100, 128, 129, 800, 1000, 5003])
def test_pairwise_sum_and_counterfactual_shares_are_numpy(n):
    from sim.model.kernels import counterfactual_shares, pairwise_sum

    rng = np.random.default_rng(n)
    a = rng.random((2, n)) * 10.0 ** rng.uniform(-5, 5, (2, n))
    assert [pairwise_sum(a[0]), pairwise_sum(a[1])] == list(np.add.reduce(a, axis=1))
    ps_sum, own = a[0] * 3, a[0] * rng.random(n)
    own[:3] = ps_sum[:3] * (1 + 1e-16)  # the others' sum rounds below 0
    e = a * (rng.random((2, n)) < 0.8)
    denom = (ps_sum - own) + e
    p = np.zeros_like(e)
    np.divide(e, denom, out=p, where=denom > 0)
    got, share_open, share_closed = counterfactual_shares(ps_sum, own, e)
    np.testing.assert_array_equal(got, p)
    assert [share_open, share_closed] == list(np.add.reduce(p, axis=1) / n)


def test_compiled_distillation_is_the_reference():
    from sim.model.distillation import absorbed_shares
    from sim.model.kernels import best_teachers, teacher_channels

    rng = np.random.default_rng(6)
    k, d = 40, 7
    region = rng.integers(0, 4, k)
    teacher_open, active, there = rng.random(k) < 0.5, rng.random(k) < 0.8, rng.random(k) < 0.9
    block, ban = rng.random((4, 4)) < 0.3, rng.random(4) < 0.5
    students = np.sort(rng.choice(k, d, replace=False))
    open_banned = rng.random((d, 4)) < 0.3
    eff = reachable_teachers(region[students], region, teacher_open, active, block, ban, 0.5, open_banned)
    eff = np.where(there, eff, 0.0)
    eff[np.arange(d), students] = 0.0
    got = teacher_channels(students, region, teacher_open, active, there, block, ban, 0.5, open_banned)
    np.testing.assert_array_equal(got, eff)
    cap, flop = rng.normal(25, 1, k), 10 ** rng.normal(25, 0.7, k)
    own, own_flop = rng.normal(24.5, 1, d), 10 ** rng.normal(24.5, 0.7, d)
    own[0], own_flop[1] = -np.inf, 0.0
    for parity in (0.63, 0.0):
        with np.errstate(invalid="ignore"):  # no absorption times an infinite gap (a student with no model)
            new, teacher = distilled_capabilities(own, own_flop, cap, flop, eff, parity, 0.53)
        new2, teacher2 = best_teachers(own, own_flop, cap, eff, absorbed_shares(own_flop, flop, parity, 0.53))
        np.testing.assert_array_equal(new2, new)
        np.testing.assert_array_equal(teacher2, teacher)


def _labs(rng, k: int = 61, r: int = 4) -> dict:
    """Random lab arrays (K,) for the month kernels' checks."""
    return {"region": rng.integers(0, r, k), "active": rng.random(k) < 0.8, "open": rng.random(k) < 0.4,
            "cap": rng.normal(26.0, 1.0, k), "x": rng.random(k) * 10.0 ** rng.uniform(3, 9, k)}


@pytest.mark.parametrize("seed", range(5))
def test_compiled_money_and_chips_are_numpy(seed):
    """The round-3 kernels of accounting, revenue, chips and training give the numpy formulations' numbers."""
    from sim.model import kernels_books as kn

    rng = np.random.default_rng(seed)
    lab = _labs(rng)
    reg, act, op, cap, sales = lab["region"], lab["active"], lab["open"], lab["cap"], lab["x"]
    inc = rng.normal(0.0, 1e8, 61)
    past, g_m, kappa = rng.random(4) * 1e9 * (rng.random(4) < 0.8), 1.7, 2.3
    rev_r, ratio, mean_rev, x, best = kn.region_funding_terms(reg, act, cap, sales, past, True, g_m, kappa, 4)
    assert np.array_equal(rev_r, np.bincount(reg, weights=sales, minlength=4))
    growth = np.where(past > 0, rev_r / np.where(past > 0, past, 1.0), g_m)
    assert np.array_equal(ratio, np.clip(growth / g_m, 0.1, 10.0))
    c_max = np.where(reg[None, :] == np.arange(4)[:, None], np.where(act, cap, -np.inf), -np.inf).max(axis=1)
    assert np.array_equal(best, c_max)
    c_max = np.where(np.isfinite(c_max), c_max, 0.0)
    assert np.array_equal(mean_rev, rev_r / np.maximum(np.bincount(reg[act], minlength=4), 1))
    assert np.array_equal(x, kappa * (np.where(act, cap, -np.inf) - c_max[reg]))
    pools = rng.random((3, 4)) * 1e9
    member = np.vstack([rng.random(61) < 0.5, rng.random(61) < 0.5, np.ones(61, dtype=bool)])
    w = np.where(act, np.exp(x) * (sales + mean_rev[reg]), 0.0)
    funding, paid = kn.lab_funding(reg, act, np.exp(x), sales, mean_rev, pools, member)
    expect = np.zeros(61)
    for src in range(3):
        w_sum = np.bincount(reg, weights=w * member[src], minlength=4)
        part = np.where(act & member[src] & (w_sum[reg] > 0), pools[src, reg] * w / np.where(w_sum[reg] > 0,
                                                                                         w_sum[reg], 1.0), 0.0)
        expect += part
        np.testing.assert_allclose(paid[src], np.bincount(reg, weights=part, minlength=4), rtol=1e-12)
        # a pool is paid out whole wherever the region has an active member with weight
        has = np.bincount(reg, weights=(act & member[src] & (w > 0)).astype(float), minlength=4) > 0
        np.testing.assert_allclose(paid[src][has], pools[src][has], rtol=1e-12)
    np.testing.assert_allclose(funding, expect, rtol=1e-12)
    sub, theta, leak = rng.random(4) * 0.3, rng.random(4) * (rng.random(4) < 0.5), rng.random(4)
    own = 0.6 * np.maximum(inc, 0.0) * act
    money = own / (1.0 - sub[reg])
    front, alt, state = kn.chip_money(inc, act, reg, sub, 0.6, theta, leak)
    assert np.array_equal(state, np.bincount(reg, weights=money - own, minlength=4))
    assert np.array_equal(front, money * ((1.0 - theta[reg]) + theta[reg] * leak[reg]))
    assert np.array_equal(alt, money - front)
    alt_cap, comp = rng.random(4) * 1e3, rng.random(61) * 1e5
    demand = alt / 3e4
    region_demand = np.bincount(reg, weights=demand, minlength=4)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(region_demand > 0, np.minimum(1.0, alt_cap / region_demand), 1.0)
    got_alt, after = kn.chips_bought(comp, 1.0 - 1.0 / 48, front / 2e4, alt, 3e4, alt_cap, reg)
    assert np.array_equal(got_alt, demand * fill[reg])
    assert np.array_equal(after, comp * (1.0 - 1.0 / 48) + front / 2e4 + got_alt)
    share, accrued = rng.random(61) / 61, rng.random(61) * 1e25
    need = np.where(op, 0.0, 0.02 * comp.sum() * share)
    serve = np.minimum(need, 0.5 * comp)
    want = accrued + 0.7 * (comp - serve) * 3e21 * 0.3 * act
    quality = kn.train_month(op, 0.02 * comp.sum(), share, comp, 0.5, 0.7, 3e21, 0.3, act, accrued)
    assert np.array_equal(quality, np.where(need > 0, serve / np.where(need > 0, need, 1.0), 1.0))
    assert np.array_equal(accrued, want)


@pytest.mark.parametrize("seed", range(5))
def test_compiled_revenue_and_reporters_are_numpy(seed):
    """The round-3 kernels of revenue, releases and reporters give the numpy formulations' numbers."""
    from sim.model import kernels_books as kn
    from sim.model.capability import signed_lag
    from sim.model.kernels import best_others

    rng = np.random.default_rng(seed)
    lab = _labs(rng)
    reg, act, op, cap = lab["region"], lab["active"], lab["open"], lab["cap"]
    counts, gr = rng.integers(0, 300, (12, 61)), np.repeat(np.arange(4), 3)
    log_flop, log_chip, closed = rng.normal(25, 1, 61), rng.normal(0, 0.3, 4), rng.normal(0.5, 0.3, 61)
    base = -0.5 + 0.4 * (log_flop - 25.0)
    table = kn.price_table(log_flop, -0.5, 0.4, op, log_chip, closed)
    assert np.array_equal(table, np.where(op, base + log_chip[:, None], base + closed))
    assert kn.mean_log_price(counts, table, gr)[1] == (counts * table[gr]).sum() / counts.sum()
    factor, comp, qual, margin = rng.random((4, 61)) + 0.5, rng.random(61), rng.random(61), rng.random(4) - 0.2
    sales = (counts * (3.0 * factor[gr])).sum(axis=0) * act * np.where(op, comp, qual)
    got = kn.lab_sales(counts, 3.0, factor, gr, act, op, comp, qual, margin, reg)
    assert np.array_equal(got[0], sales) and np.array_equal(got[1], sales * np.where(op, 1.0, margin[reg]))
    for i in (0, 7, 60):
        others = act.copy()
        others[i] = False
        assert best_others(cap, act, op, i) == (np.max(cap, where=others & op, initial=-np.inf),
                                                  np.max(cap, where=others, initial=-np.inf))
    assert kn.active_max(lab["x"], act) == (lab["x"][act].max(), True)
    cn = (reg == 1) & op & act
    assert np.array_equal(kn.region_counts_on(counts, cn, 4), (counts @ cn.astype(np.int64)).reshape(4, -1).sum(1))
    v = rng.random((3, 4)) * 1e9
    assert kn.budget_sums(*v) == (v[0].sum(), v[0].sum() + v[1].sum() + v[2].sum())
    assert kn.sum_of_squares(v[0] / 7) == ((v[0] / 7) ** 2).sum()
    hist = np.maximum.accumulate(rng.normal(0.1, 0.2, (2, 40)).cumsum(axis=1), axis=1)
    hist[1, :3] = -np.inf
    for t in (0, 5, 39):
        assert kn.signed_lag(hist[0], hist[1], t, 0.05) == signed_lag(hist[0], hist[1], t, 0.05)
        assert kn.signed_lag(hist[1], hist[0], t, 0.05) == signed_lag(hist[1], hist[0], t, 0.05)
    entry, exit_, phase = rng.integers(-3, 6, 61), rng.integers(1, 8, 61), rng.integers(0, 6, 61)
    gone, new = kn.lab_events(entry, exit_, act, 4)
    assert np.array_equal(gone, np.flatnonzero((exit_ == 4) & act))
    assert np.array_equal(new, np.flatnonzero((entry == 4) & (exit_ > 4)))
    assert np.array_equal(kn.due_labs(act, phase, 3, 6), np.flatnonzero(act & ((3 - phase) % 6 == 0)))
