"""Scenario discovery (``aieco discover``, sim.analysis.discovery) on a synthetic sweep whose cases of interest are exactly
a known box: x1 > 0.7 and x2 < 0.3 (sim.analysis.testfunctions.box), with x3 an inert uncertainty and x4 an inert lever."""

from __future__ import annotations

import json
import re
import shutil
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASELINE

from sim.analysis.discovery import DiscoveryError, Options, discover, evaluate_condition, write_results
from sim.analysis.sweep import load_spec, run_sweep
from sim.analysis.testfunctions import BOX
from sim.cli import main

N = 1000
PEEL_ALPHA = 0.05
TREES = 30
"""Extra trees for the feature scores in these tests (the default is 100): enough to rank two relevant factors
above two inert ones."""


@pytest.fixture(scope="module")
def box_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("box")
    spec = tmp / "box.toml"
    factors = "".join(textwrap.dedent(f"""
        [[factors]]
        name = "{name}"
        path = "{path}"
        range = [0.0, 1.0]
        {'kind = "lever"' if name == "x4" else ""}
        """) for name, path in (("x1", "labs.follower_open_value"), ("x2", "developers.token_price_elasticity"), ("x3", "developers.review_rate"),
                                ("x4", "labs.spill_coef")))
    spec.write_text(textwrap.dedent(f"""
        name = "box"
        base = "{BASELINE}"
        run_function = "sim.analysis.testfunctions:box"
        batch_size = 500
        [design]
        kind = "lhs"
        samples = {N}
        seed = 3
        """) + factors)
    out = tmp / "sweep"
    run_sweep(load_spec(spec), out, executor="serial", progress=False)
    return out


@pytest.fixture(scope="module")
def prim_result(box_sweep):
    return discover(box_sweep, "in_box == 1", Options(peel_alpha=PEEL_ALPHA, n_trees=TREES))


@pytest.fixture(scope="module")
def cart_result(box_sweep):
    return discover(box_sweep, "in_box == 1", Options(method="cart", n_trees=TREES))


def _limit(res, factor: str) -> pd.Series:
    return res.limits.set_index("factor").loc[factor]


def test_prim_recovers_the_box_within_one_peeling_step(prim_result):
    """PRIM peels peel_alpha of the box's runs at a time, so its limits can miss the true ones by one step: the
    width along a factor holding peel_alpha of the box's runs (the box is 0.3 wide in x1 and x2), plus the LHS
    stratum 1/N."""
    res = prim_result
    step = PEEL_ALPHA * 0.3 + 1 / N
    x1, x2 = _limit(res, "x1"), _limit(res, "x2")
    assert x1["restricted_lower"] and not x1["restricted_upper"]
    assert x2["restricted_upper"] and not x2["restricted_lower"]
    assert abs(x1["lower"] - BOX["x1"][0]) <= step
    assert abs(x2["upper"] - BOX["x2"][1]) <= step
    for inert in ("x3", "x4"):
        assert not _limit(res, inert)["restricted"]
    b = res.box
    assert b["coverage"] == 1.0 and b["density"] >= 1 - PEEL_ALPHA - 1e-9 and b["res_dim"] == 2
    # the quasi-p-values of the two real restrictions are tiny; only the restricted sides have one
    assert x1["qp_lower"] < 1e-10 and x2["qp_upper"] < 1e-10
    assert np.isnan(x1["qp_upper"]) and np.isnan(_limit(res, "x3")["qp_lower"])


def test_prim_trajectory_peels_from_the_whole_space_towards_density(prim_result):
    c = prim_result.candidates
    assert c["id"].tolist() == list(range(len(c)))
    first = c.iloc[0]
    assert first["coverage"] == 1.0 and first["mass"] == 1.0 and first["res_dim"] == 0
    assert first["density"] == pytest.approx(prim_result.n_interest / N)
    assert c["density"].iloc[-1] > 0.9 and c["mass"].is_monotonic_decreasing
    assert c["chosen"].sum() == 1


def test_cart_first_splits_are_on_x1_and_x2(cart_result):
    s = cart_result.splits.sort_values("node")
    assert s.iloc[0]["factor"] in ("x1", "x2")
    assert set(s.loc[s["depth"] <= 1, "factor"]) == {"x1", "x2"}
    root = s.iloc[0]
    assert abs(root["threshold"] - (BOX["x1"][0] if root["factor"] == "x1" else BOX["x2"][1])) <= 2 / N + 0.01
    b = cart_result.box
    assert b["coverage"] == 1.0 and b["density"] == 1.0
    assert set(cart_result.limits.loc[cart_result.limits["restricted"], "factor"]) == {"x1", "x2"}
    assert "x1 <=" in cart_result.tree or "x2 <=" in cart_result.tree


def test_feature_scores_rank_the_box_factors_first_and_keep_roles(prim_result):
    sc = prim_result.scores
    assert set(sc["factor"].iloc[:2]) == {"x1", "x2"}
    assert sc["score"].sum() == pytest.approx(1.0)
    assert dict(zip(sc["factor"], sc["role"], strict=True)) == {"x1": "uncertainty", "x2": "uncertainty",
                                                                "x3": "uncertainty", "x4": "lever"}


def test_same_inputs_same_numbers(box_sweep, cart_result):
    again = discover(box_sweep, "in_box == 1", Options(method="cart", n_trees=TREES))
    pd.testing.assert_frame_equal(again.scores, cart_result.scores)
    pd.testing.assert_frame_equal(again.candidates, cart_result.candidates)
    assert again.tree == cart_result.tree


def test_inputs_can_be_restricted_to_one_kind(box_sweep):
    res = discover(box_sweep, "in_box == 1", Options(inputs="uncertainties", n_trees=TREES))
    assert set(res.limits["factor"]) == {"x1", "x2", "x3"}
    res = discover(box_sweep, "x1_minus_x2 > 0.4", Options(inputs="levers", n_trees=TREES))
    assert list(res.limits["factor"]) == ["x4"]


def test_condition_with_a_non_finite_part_is_refused_naming_it():
    df = pd.DataFrame({"a": [0.1, 0.5, 0.9], "b": [1.0, 0.0, 3.0]})
    with pytest.raises(DiscoveryError, match=r"division by zero: 'b' is 0 in 1 of 3 runs, so 'a / b'"):
        evaluate_condition(df, "a / b > 1", ["a", "b"])
    with pytest.raises(DiscoveryError, match=r"'a \* 1e\+308' is not a finite number in 3 of 3 runs"):
        evaluate_condition(df.assign(a=[10.0, 20.0, 30.0]), "a * 1e308 > 1", ["a", "b"])
    assert evaluate_condition(df, "a / (b + 1) > 0.2", ["a", "b"]).tolist() == [False, True, True]


def test_condition_is_evaluated_over_metrics_only():
    df = pd.DataFrame({"a": [0.1, 0.5, 0.9], "b": [1.0, 2.0, 3.0]})
    got = evaluate_condition(df, "a > 0.3 and not b >= 3", ["a", "b"])
    assert got.tolist() == [False, True, False]
    assert evaluate_condition(df, "(a > 0.3) | (b < 1.5)", ["a", "b"]).tolist() == [True, True, True]


@pytest.mark.parametrize("where, expected", [
    ("in_box >", r"not a valid condition"),
    ("in_bx == 1", r"unknown metric 'in_bx'; did you mean 'in_box'\? \(the sweep recorded: in_box, x1_minus_x2\)"),
    ("x1 > 0.5", r"'x1' is a factor of the sweep \(an input\), not an outcome"),
    ("in_box > 5", r"holds in none of the 1000 runs.*in_box ranges 0 to 1"),
    ("in_box >= 0", r"holds in all of the 1000 runs"),
    ("in_box + 1", r"gives numbers, not true/false"),
    ("__import__('os').system('true') == 0", r"Call is not allowed"),
    ("in_box.sum() > 0", r"is not allowed"),
    ("@in_box > 0", r"not a valid condition"),
    ("in_box == 'yes'", r"the constant 'yes' is not allowed"),
    ("in_box / 0 > 1", r"division by zero: '0' is 0 in 1000 of 1000 runs, so 'in_box / 0' is not a number"),
    ("x1_minus_x2 / in_box > 1", r"division by zero: 'in_box' is 0 in \d+ of 1000 runs"),
])
def test_bad_conditions_exit_2_naming_what_is_allowed(box_sweep, tmp_path, where, expected):
    r = CliRunner().invoke(main, ["discover", str(box_sweep), "--where", where, "--out", str(tmp_path / "d"),
                                  "--no-figures"])
    assert r.exit_code == 2, r.output
    assert re.search(expected, " ".join(r.output.split())), r.output
    assert not (tmp_path / "d").exists()


def test_a_folder_that_is_not_a_sweep_exits_2(tmp_path, box_sweep):
    r = CliRunner().invoke(main, ["discover", str(tmp_path), "--where", "in_box == 1"])
    assert r.exit_code == 2 and "not a sweep results folder" in r.output and "aieco sweep" in r.output
    with pytest.raises(DiscoveryError, match="no factor of that kind"):
        _no_lever_sweep(tmp_path, box_sweep)
    r = CliRunner().invoke(main, ["discover", str(box_sweep), "--where", "in_box == 1", "--method", "priim"])
    assert r.exit_code == 2 and "'prim'" in r.output and "'cart'" in r.output


def _no_lever_sweep(tmp_path, box_sweep):
    d = tmp_path / "nolever"
    shutil.copytree(box_sweep, d)
    m = json.loads((d / "manifest.json").read_text())
    for f in m["resolved"]["factors"]:
        f.pop("role", None)  # a sweep written before factors had kinds: all uncertainties
    (d / "manifest.json").write_text(json.dumps(m))
    discover(d, "in_box == 1", Options(inputs="levers", n_trees=TREES))


def test_cli_writes_tables_figures_and_manifest(box_sweep, tmp_path):
    out = tmp_path / "disc"
    r = CliRunner().invoke(main, ["discover", str(box_sweep), "--where", "in_box == 1", "--out", str(out),
                                  "--format", "png", "--trees", str(TREES)])
    assert r.exit_code == 0, r.output
    assert "x1 >= 0.7" in " ".join(r.output.split()) or "x1 >= 0.69" in " ".join(r.output.split())
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "discovery" and m["where"] == "in_box == 1" and m["cases"] == N
    assert m["box"]["coverage"] == 1.0
    assert {p.name for p in (out / "figures").glob("*.png")} == {
        f"discovery_{f}_double.png" for f in ("tradeoff", "box_limits", "feature_scores")}
    side = json.loads((out / "figures" / "discovery_tradeoff_double.json").read_text())
    assert side["results_kind"] == "discovery" and side["manifest_sha256"] and side["where"] == "in_box == 1"
    # aieco figures draws the same set for the folder, at both widths
    r = CliRunner().invoke(main, ["figures", str(out), "--format", "png", "--width", "single", "--out",
                                  str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "f").glob("discovery_*_single.png"))) == 3
    # another kind of results in --out is refused
    r = CliRunner().invoke(main, ["discover", str(box_sweep), "--where", "in_box == 1", "--out", str(box_sweep)])
    assert r.exit_code == 2 and "holds other results" in r.output


def test_write_results_round_trip(prim_result, tmp_path):
    from sim.analysis.discovery import load_discovery

    write_results(prim_result, tmp_path / "d")
    m, t = load_discovery(tmp_path / "d")
    assert m["chosen"] == prim_result.chosen
    pd.testing.assert_frame_equal(t["scores"], prim_result.scores)
    assert t["cases"]["in_box"].sum() == prim_result.box["n"]
