"""The theories of the release decision (labs.decision; issue 28; docs/ODD.md 7.7): properties, not numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import small

from sim.model.decision import DecisionState, imitation_pull
from sim.model.ecosystem import EcosystemModel
from sim.scenario.schema import DECISIONS, Scenario, with_values

MEMORY_OFF = {"labs.ewa_delta": 1.0, "labs.ewa_phi": 0.0, "labs.ewa_rho": 0.0, "labs.ewa_lambda": 1.0}


def _run(sc: Scenario, seed: int) -> EcosystemModel:
    return EcosystemModel(sc, seed=seed).run()


def _quick(**values) -> Scenario:
    """The small scenario (archetype roster), 36 months, releases every 4 months (many choices in little time)."""
    return small(None, months=36, **{"developers.n": 600, "developers.payoff_sample": 150,
                                     "labs.release_cycle_months": 4, **values})


def _fake_model(k: int = 2, open_=(False, False)):
    s = SimpleNamespace(open=np.array(open_), compute=np.ones(k), active=np.ones(k, dtype=bool),
                        region=np.zeros(k, dtype=int))
    return SimpleNamespace(labs_state=s, adopters=np.zeros(k))


TERMS0 = {"x_position": 0.0, "x_state": 0.0, "x_misuse": 0.0, "x_bias": 0.0}


def test_attraction_moves_toward_the_strategy_that_paid():
    labs = with_values(Scenario(), {"labs.decision": "learning"}).labs
    m = _fake_model(open_=(True, False))  # the lab holds open (its first release holds nothing)
    st = DecisionState(2, labs)
    paid_open = {"pi_open": 3.0, "pi_closed": 1.0}
    before = []
    for _ in range(4):  # open pays: the attraction rises toward open, release after release
        before.append(st.attraction[0])
        st.choose(m, 0, paid_open, TERMS0, 4.0, True)
    assert np.all(np.diff([*before, st.attraction[0]]) > 0)
    p_open_now = st.choose(m, 0, paid_open, TERMS0, 4.0, True)[0]
    st2 = DecisionState(2, labs)
    p_first = st2.choose(m, 0, paid_open, TERMS0, 4.0, True)[0]
    assert p_open_now > p_first  # experience of open paying adds to today's comparison
    # memory: after open paid repeatedly, one release where closed pays a little leaves the lab leaning open
    p_after = st.choose(m, 0, {"pi_open": 1.0, "pi_closed": 1.2}, TERMS0, 4.0, True)[0]
    assert p_after > 0.5
    for _ in range(12):  # and then closed keeps paying: the attraction turns toward closed
        st.choose(m, 0, {"pi_open": 1.0, "pi_closed": 3.0}, TERMS0, 4.0, True)
    assert st.attraction[0] < 0


def test_foregone_payoffs_weigh_less_below_delta_one():
    """EWA's delta < 1: the held strategy's payoff is reinforced more than the foregone one's (persistence)."""
    base = with_values(Scenario(), {"labs.decision": "learning", "labs.ewa_phi": 0.0, "labs.ewa_rho": 0.0})
    pay = {"pi_open": 1.0, "pi_closed": 1.0}  # equal payoffs: only the weighting differs
    held_open = DecisionState(2, with_values(base, {"labs.ewa_delta": 0.2}).labs)
    held_closed = DecisionState(2, with_values(base, {"labs.ewa_delta": 0.2}).labs)
    for st, held in ((held_open, (True, False)), (held_closed, (False, False))):  # a first release holds nothing
        st.choose(_fake_model(open_=held), 0, pay, TERMS0, 4.0, True)
    p_o = held_open.choose(_fake_model(open_=(True, False)), 0, pay, TERMS0, 4.0, True)[0]
    p_c = held_closed.choose(_fake_model(open_=(False, False)), 0, pay, TERMS0, 4.0, True)[0]
    assert p_o > 0.5 > p_c


def test_learning_without_memory_is_myopic_draw_for_draw():
    myopic = _run(_quick(), 5)
    learning = _run(_quick(**{"labs.decision": "learning", **MEMORY_OFF}), 5)
    pd.testing.assert_frame_equal(myopic.release_log(), learning.release_log())
    pd.testing.assert_frame_equal(myopic.timeseries(), learning.timeseries())
    pd.testing.assert_frame_equal(myopic.lab_panel(), learning.lab_panel())


def test_imitation_pull():
    adopters = np.array([100.0, 10.0, 50.0, 0.0])
    lab_open = np.array([True, False, False, True])
    peers = np.array([True, True, True, False])
    assert imitation_pull(adopters, lab_open, peers & (np.arange(4) != 0), 0) == 0.0  # the leader feels none
    # a lab without adopters: its peers' adoption-weighted balance of open (100) and closed (10 + 50)
    assert imitation_pull(adopters, lab_open, peers, 3) == pytest.approx((100 - 60) / 160)
    # lab 1 (10 adopters): pulled toward open by lab 0 (+90) and toward closed by lab 2 (-40)
    assert imitation_pull(adopters, lab_open, np.array([True, False, True, False]), 1) == pytest.approx(50 / 150)


def _two_labs(tmp_path, leader_open: bool) -> str:
    """Two Chinese labs: a leader pinned to one strategy (open_bias +-12) with 100x the follower's compute, and an
    undecided follower (open_bias 0)."""
    path = tmp_path / f"two_labs_{leader_open}.csv"
    bias = 12.0 if leader_open else -12.0
    strategy = "OPEN" if leader_open else "CLOSED"
    path.write_text("name,region,training_compute_flop,strategy,open_bias,lab_type\n"
                    f"CN-Leader,CN,1e24,{strategy},{bias},cloud\nCN-Follower,CN,1e22,CLOSED,0.0,startup\n")
    return str(path)


@pytest.mark.parametrize("leader_open", [True, False])
def test_imitation_drifts_a_region_toward_its_successful_labs_strategy(tmp_path, leader_open):
    roster = _two_labs(tmp_path, leader_open)
    shares = {}
    for theory in ("myopic", "imitation"):
        logs = [_run(_quick(roster=roster, **{"labs.decision": theory, "labs.switch_cost": 0.0,
                                              "labs.inertia_size": 0.0, "labs.imitation_weight": 2.0}), seed)
                .release_log() for seed in (1, 2, 3)]
        f = pd.concat(logs)
        f = f[f["lab"] == "CN-Follower"]
        shares[theory] = f["p_open"].mean()
        if theory == "imitation":
            assert ((f["x_imitation"] > 0) if leader_open else (f["x_imitation"] < 0)).all()
    if leader_open:
        assert shares["imitation"] > shares["myopic"]
    else:
        assert shares["imitation"] < shares["myopic"]


def _switch_rate(values: dict, seeds=(1, 2, 3)) -> float:
    logs = pd.concat([_run(_quick(**values), s).release_log() for s in seeds])
    return float(logs["switched"].mean())


def test_inertia_lowers_the_switching_rate():
    loose = {"labs.decision": "imitation", "labs.imitation_weight": 0.0, "labs.switch_cost": 0.0,
             "labs.inertia_size": 0.0}
    sticky = {**loose, "labs.switch_cost": 1.5, "labs.inertia_size": 2.0}
    assert _switch_rate(sticky) < _switch_rate(loose)
    # inertia that grows with size alone (no switching cost) lowers switching too, and never raises it
    assert _switch_rate({**loose, "labs.inertia_size": 4.0}) < _switch_rate(loose)
    assert _switch_rate({**loose, "labs.switch_cost": 1.5, "labs.inertia_size": 4.0}) <= _switch_rate(sticky)


@pytest.mark.parametrize("theory", ["myopic", "strategic"])
def test_a_switch_is_logged_exactly_when_the_strategy_changes(theory):
    m = _run(_quick(**{"labs.decision": theory}), 7)
    log = m.release_log()
    assert log["switched"].dtype == bool
    for _, g in log.groupby("lab", sort=False):
        previous = g["strategy"].shift()
        expected = (g["strategy"] != previous) & previous.notna()
        assert (g["switched"] == expected).all()
    panel = m.lab_panel()
    assert panel["switched"].dtype == bool
    in_panel = set(map(tuple, panel[panel["switched"]][["month", "lab"]].to_numpy()))
    assert in_panel == set(map(tuple, log[log["switched"]][["month", "lab"]].to_numpy()))
    assert log["switched"].any()


@pytest.mark.parametrize("theory", DECISIONS)
def test_each_theory_is_deterministic_per_seed(theory):
    sc = _quick(**{"labs.decision": theory})
    a, b = _run(sc, 11), _run(sc, 11)
    pd.testing.assert_frame_equal(a.release_log(), b.release_log())
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    if theory != "myopic":
        other = _run(sc, 12).release_log()
        assert not other.equals(a.release_log())


def test_myopic_logs_no_theory_terms():
    log = _run(_quick(), 3).release_log()
    assert (log[["x_imitation", "x_learned", "x_inertia"]] == 0).all().all()


# ------------------------------------------------------------------------------------------------
# the theories at their own posteriors (aieco validate --theories), on a tiny configuration


def _ensemble(tmp_path, particles):
    import json

    from conftest import ROOT

    path = tmp_path / "e.json"
    path.write_text(json.dumps({
        "kind": "aieco posterior ensemble", "scenario": str(ROOT / "scenarios" / "baseline.toml"),
        "set": ["developers.n=300", "developers.payoff_sample=100"],
        "parameters": [{"path": "labs.beta", "lower": 1.0, "upper": 10.0},
                       {"path": "labs.ewa_phi", "lower": 0.0, "upper": 1.0, "theories": ["learning", "strategic"]}],
        "particles": particles}), encoding="utf-8")
    return path


THEORY_PARTICLES = [{"weight": 1.0, "values": {"labs.beta": 2.0}},  # no theory: myopic
                    {"weight": 1.0, "theory": "myopic", "values": {"labs.beta": 6.0}},
                    {"weight": 2.0, "theory": "learning", "values": {"labs.beta": 4.0, "labs.ewa_phi": 0.8}}]


def test_ensemble_reads_a_theory_per_particle(tmp_path):
    from sim.analysis.posterior import EnsembleError, apply_draw, draw, load_ensemble

    ens = load_ensemble(_ensemble(tmp_path, THEORY_PARTICLES))
    assert ens.theories == ["myopic", "learning"]
    learning = ens.for_theory("learning")
    assert learning.paths == ["labs.beta", "labs.ewa_phi"] and learning.particles["weight"].tolist() == [1.0]
    assert ens.for_theory("myopic").paths == ["labs.beta"]
    row = draw(learning, 1).iloc[0]
    sc = apply_draw(ens.base_scenario(), row, learning.paths)
    assert sc.labs.decision == "learning" and sc.labs.ewa_phi == 0.8
    myopic = apply_draw(ens.base_scenario(), draw(ens.for_theory("myopic"), 1).iloc[0], ["labs.beta"])
    assert myopic.labs.decision == "myopic"
    with pytest.raises(EnsembleError, match="theory"):
        load_ensemble(_ensemble(tmp_path, [{"weight": 1.0, "theory": "oracle", "values": {"labs.beta": 2.0}}]))
    with pytest.raises(EnsembleError, match="values"):  # a learning particle must give the learning parameters
        load_ensemble(_ensemble(tmp_path, [{"weight": 1.0, "theory": "learning", "values": {"labs.beta": 2.0}}]))


def test_validate_theories_writes_the_theory_table(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main

    path = _ensemble(tmp_path, THEORY_PARTICLES)
    out = tmp_path / "t"
    r = CliRunner().invoke(main, ["validate", "--theories", "--ensemble", str(path), "--draws", "2", "-r", "1",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "theories.csv")
    assert set(table["theory"]) == {"myopic", "learning"}
    assert set(table["sample"]) == {"in sample", "held out"}
    assert {"P1", "P4"} <= set(table["pattern"])
    verdicts = pd.read_csv(out / "theories_verdicts.csv")
    assert {"in_sample", "held_out", "passed"} <= set(verdicts.columns)
    ranking = pd.read_csv(out / "theories_ranking.csv")
    assert sorted(ranking["theory"]) == ["learning", "myopic"] and list(ranking["rank"]) == [1, 2]
    assert (ranking["in_sample_passed"].diff().dropna() <= 0).all()
    md = (out / "theories.md").read_text()
    assert "best-supported" in md and "2 draws x 1 runs per theory" in md
    n_p1 = len(table[(table["theory"] == "myopic") & (table["pattern"] == "P1") & (table["sample"] == "in sample")])
    bad = int((~table[(table["theory"] == "myopic") & (table["pattern"] == "P1")
                      & (table["sample"] == "in sample")]["passed"]).sum())
    assert (f"{bad} of {n_p1} rows fail" if bad else f"({n_p1} rows)") in md  # the report counts failing rows


def test_best_supported_breaks_ties_by_abc_distance():
    from sim.analysis.theories import best_supported

    v = pd.DataFrame({"theory": ["a", "a", "b", "b", "c", "c"], "pattern": ["P1", "P2"] * 3,
                      "in_sample": pd.array([True, False, True, False, True, True], dtype="boolean"),
                      "held_out": pd.array([True, True, False, False, False, False], dtype="boolean")})
    r = best_supported(v, {"a": 2.0, "b": 1.0, "c": 9.0})
    assert list(r["theory"]) == ["c", "b", "a"]  # c passes most in sample; b beats a on distance; held out ignored


def test_posterior_point_takes_one_theory(tmp_path):
    import importlib.util
    import shutil
    import tomllib

    from conftest import ROOT

    path = _ensemble(tmp_path, THEORY_PARTICLES)
    out = tmp_path / "calibrated.toml"
    shutil.copy(ROOT / "scenarios" / "calibrated.toml", out)
    spec = importlib.util.spec_from_file_location("posterior_point", ROOT / "scripts" / "posterior_point.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(SystemExit, match="--theory"):
        mod.main(path, out)
    mod.main(path, out, "learning")
    labs = tomllib.loads(out.read_text())["labs"]
    assert labs["decision"] == "learning" and labs["beta"] == 4.0 and labs["ewa_phi"] == 0.8


@pytest.mark.parametrize("theory", ["learning", "imitation", "strategic"])
def test_a_labs_first_release_holds_no_strategy(theory):
    """At a lab's first release in the run (every lab's, and above all a new lab's, which has no model) nothing is
    held: no inertia, and its attraction is today's index (x_learned 0 with lambda 1), as under myopic; later
    releases do carry memory or inertia."""
    from sim.scenario.schema import load_scenario
    from tests.conftest import BASELINE

    sc = with_values(load_scenario(BASELINE, ["months=36"]), {"developers.n": 300, "labs.decision": theory,
                                                              "labs.ewa_lambda": 1.0})
    rel = EcosystemModel(sc, seed=3).run().release_log()
    first = ~rel.duplicated("lab")
    assert first.sum() > 20 and (~first).sum() > 20
    assert (rel.loc[first, "x_inertia"] == 0).all()
    assert np.allclose(rel.loc[first, "x_learned"], 0.0)
    later = rel.loc[~first, "x_inertia" if theory == "imitation" else "x_learned"]
    assert (later != 0).mean() > 0.5


def test_another_theorys_parameter_set_away_from_its_default_warns():
    """Setting a parameter the chosen theory does not use is almost always a mistake: a warning names it and the
    theories that use it; the chosen theory's own parameters and defaults do not warn."""
    import warnings

    with pytest.warns(UserWarning, match=r"labs.switch_cost = 3.0 has no effect under labs.decision = 'myopic' "
                                         r"\(it is used by imitation, strategic\)"):
        with_values(Scenario(), {"labs.switch_cost": 3.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_values(Scenario(), {"labs.decision": "strategic", "labs.switch_cost": 3.0, "labs.ewa_phi": 0.6})
        with_values(Scenario(), {"labs.decision": "learning"})


def test_the_compiled_pull_is_numpys_bit_for_bit():
    """The engine's compiled imitation pull (sim.model.kernels.imitation_pulls) gives exactly the numpy formulation's
    numbers for the home region's peers and the world's, whatever the adopters, strategies and actives."""
    from sim.model.kernels import imitation_pulls as compiled

    rng = np.random.default_rng(7)
    for k in (3, 9, 40, 61, 200):
        for _ in range(25):
            adopters = rng.integers(0, 5000, k) * (rng.random(k) < 0.8)
            lab_open, active = rng.random(k) < 0.5, rng.random(k) < 0.8
            region = rng.integers(0, 4, k)
            i = int(rng.integers(k))
            peers = active.copy()
            peers[i] = False
            want = [imitation_pull(adopters, lab_open, peers & (region == region[i]), i),
                    imitation_pull(adopters, lab_open, peers, i)]
            assert list(compiled(adopters, lab_open, active, region, i)) == want
