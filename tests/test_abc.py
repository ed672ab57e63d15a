"""Tests for the Bayesian calibration (sim.analysis.abcsmc, pyabc), posterior ensembles (sim.analysis.posterior) and the strict
verdict rule; tiny populations only (a test run takes a few seconds)."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT

from sim.analysis import abcsmc
from sim.analysis.validation import load_targets, overlaps
from sim.cli import main

pytest.importorskip("pyabc")

SPEC = ROOT / "experiments" / "abc.toml"


def tiny_spec(tmp_path, population: int = 4, generations: int = 2, params=("labs.beta", "labs.follower_open_value")):
    body = "\n".join(f'[[parameters]]\npath = "{p}"\n' for p in params)
    path = tmp_path / "abc.toml"
    path.write_text(textwrap.dedent(f"""\
        scenario = "{ROOT / 'scenarios' / 'baseline.toml'}"
        output = "posterior.json"
        out_dir = "out"
        targets = "{ROOT / 'data' / 'targets'}"
        months = 36
        developers_n = 300
        seed = 3
        [abc]
        population = {population}
        generations = {generations}
        workers = 1
        """) + body, encoding="utf-8")
    return abcsmc.load_abc_spec(path)


# ------------------------------------------------------------------------------------------------
# spec


def test_committed_spec_priors_are_the_plausible_ranges():
    from sim.scenario.schema import field_info

    spec = abcsmc.load_abc_spec(SPEC)
    assert spec.population >= 200 and spec.generations >= 5 and spec.months == 36
    assert spec.output.name == "posterior.json" and spec.output.parent.name == "scenarios"
    for p in spec.priors:
        assert [p.lower, p.upper] == [float(x) for x in field_info(p.path)["plausible"]]
        assert p.why


@pytest.mark.parametrize("text, needle", [
    ('scenario = "x.toml"\noutput = "o.json"\nbogus = 1\n[[parameters]]\npath = "labs.beta"\n', "unknown key(s) bogus"),
    ('scenario = "x.toml"\noutput = "o.json"\n[[parameters]]\npath = "labs.nope"\n', "parameters[0]: key 'path'"),
    ('scenario = "x.toml"\noutput = "o.json"\n[[parameters]]\npath = "labs.beta"\nprior = [-1, 3]\n',
     "leaves the valid range of labs.beta"),
    ('scenario = "x.toml"\noutput = "o.json"\n[[parameters]]\npath = "seed"\n', "has no plausible range"),
    ('scenario = "x.toml"\noutput = "o.json"\n[abc]\npopulation = 0\n[[parameters]]\npath = "labs.beta"\n',
     "[abc]: key 'population': must be >= 1"),
    ('scenario = "x.toml"\noutput = "o.json"\n[distance]\nweights = { P4 = 1 }\n[[parameters]]\npath = "labs.beta"\n',
     "'P4'"),
])
def test_bad_spec_names_file_and_key(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(abcsmc.ABCError) as e:
        abcsmc.load_abc_spec(path)
    assert str(path) in str(e.value) and needle in str(e.value)


# ------------------------------------------------------------------------------------------------
# statistics and distance


def test_observed_statistics_and_sigmas_come_from_the_targets():
    t = load_targets()
    obs, sig = abcsmc.observed_statistics(t)
    cn23 = t.share("CN", 2023)
    assert obs["P1_CN_2023"] == pytest.approx(float(cn23["share"]))
    assert sig["P1_CN_2023"] == pytest.approx(float(cn23["hi"] - cn23["lo"]) / (2 * abcsmc.Z90))
    assert obs["P2_2024"] == pytest.approx(t.lag_mean(2024)) and sig["P2_2024"] == 5.2
    assert obs["P3"] == pytest.approx(math.log10(float(t.headline_growth["growth"])))
    assert obs["P5"] == pytest.approx(0.416667, abs=1e-5) and 0.05 < sig["P5"] < 0.3
    assert obs["P8_Meta AI"] == 1.0 and obs["P8_OpenAI"] == 0.0 and sig["P8_OpenAI"] == 0.5
    assert not [k for k in obs if "2025" in k]  # 2025 is held out


def test_distance_is_zero_at_the_data_and_counts_patterns_once():
    sigma = {"P1_CN_2022": 0.1, "P1_CN_2023": 0.1, "P2_2022": 5.0, "P8_A": 0.5, "P8_B": 0.5}
    x0 = {"P1_CN_2022": 0.5, "P1_CN_2023": 0.5, "P2_2022": 10.0, "P8_A": 1.0, "P8_B": 0.0}
    d = abcsmc.Distance(sigma)
    assert d(dict(x0), x0) == 0.0
    x = {**x0, "P1_CN_2022": 0.7}  # 2 sigma on one of P1's two items: mean z^2 = 2
    assert d.parts(x, x0)["P1"] == pytest.approx(2.0) and d(x, x0) == pytest.approx(math.sqrt(2.0))
    x = {**x0, "P2_2022": 15.0, "P8_B": math.nan}  # one sigma on P2; a lab without releases is left out
    assert d.parts(x, x0) == pytest.approx({"P1": 0.0, "P2": 1.0, "P8": 0.0})
    x = {**x0, "P1_CN_2023": math.nan}  # a region-year without releases: MISSING_Z
    assert d.parts(x, x0)["P1"] == pytest.approx(abcsmc.MISSING_Z ** 2 / 2)
    w = abcsmc.Distance(sigma, {"P2": 4.0})
    assert w({**x0, "P2_2022": 15.0}, x0) == pytest.approx(2.0)


def test_estimate_counts_prior_sample_and_acceptance():
    sec, sims = abcsmc.estimate_seconds(0.2, 100, 3, 2, acceptance=(1.0, 0.5, 0.25))
    assert sims == 100 + 100 + 200 + 400 and sec == pytest.approx(sims * 0.2 / 2)
    _, sims = abcsmc.estimate_seconds(0.2, 100, 4, 1, acceptance=(0.5,), prior_sample=False)
    assert sims == 800


def test_particle_seed_is_a_function_of_the_values():
    a = abcsmc.particle_seed(1, [0.5, 2.0])
    assert a == abcsmc.particle_seed(1, [0.5, 2.0]) and a != abcsmc.particle_seed(1, [0.5, 2.1])
    assert a != abcsmc.particle_seed(2, [0.5, 2.0])


# ------------------------------------------------------------------------------------------------
# running, resuming, the ensemble


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("abc")
    spec = tiny_spec(tmp)
    first = abcsmc.run_abc(spec)
    gens_first = abcsmc.generation_table(first.history)
    spec.generations = 3
    second = abcsmc.run_abc(spec)  # the same spec resumes the stored run
    return spec, first, gens_first, second


def test_tiny_abc_runs_and_resumes(tiny_run):
    spec, first, gens_first, second = tiny_run
    assert not first.resumed and len(gens_first) == 2
    assert (gens_first["particles"] == spec.population).all()
    assert first.simulations >= 3 * spec.population  # prior sample + two generations
    assert second.resumed and second.run_id == first.run_id
    gens = abcsmc.generation_table(second.history)
    assert list(gens["t"]) == [0, 1, 2]
    pd.testing.assert_frame_equal(gens.iloc[:2], gens_first)  # earlier generations kept, not rerun
    assert (np.diff(gens["epsilon"]) < 0).all()  # median-quantile epsilon schedule falls
    assert ((gens["acceptance"] > 0) & (gens["acceptance"] <= 1)).all()
    assert ((gens["ess"] >= 1) & (gens["ess"] <= spec.population + 1e-9)).all()
    ens = abcsmc.posterior_ensemble(second.history, spec.priors)
    assert len(ens) == spec.population and ens["weight"].sum() == pytest.approx(1.0)
    for p in spec.priors:
        assert ens[p.path].between(p.lower, p.upper).all()


def test_new_flag_starts_another_run(tiny_run, tmp_path):
    import dataclasses

    spec, first, _, _ = tiny_run
    again = abcsmc.run_abc(dataclasses.replace(spec, generations=1), new=True)
    assert not again.resumed and again.run_id == first.run_id + 1


def test_resume_refuses_a_changed_model(tiny_run, monkeypatch):
    import dataclasses

    spec, first, _, second = tiny_run
    real = abcsmc.code_and_scenario_state
    monkeypatch.setattr(abcsmc, "code_and_scenario_state", lambda sc: {**real(sc), "source_hash": "edited"})
    with pytest.raises(abcsmc.ABCError, match="the model's code changed since run .*--new"):
        abcsmc.run_abc(dataclasses.replace(spec, generations=10))  # more generations would mix two models
    said = []
    # the stored run has at least one generation: with generations=1 nothing is left to run
    again = abcsmc.run_abc(dataclasses.replace(spec, generations=1), echo=said.append)
    assert again.simulations == 0 and any("nothing is left to run" in m for m in said)
    assert again.run_state["source_hash"] == second.run_state["source_hash"] != "edited"  # the run's own code


def test_posterior_generation_is_the_last_with_enough_ess():
    gens = pd.DataFrame({"t": [0, 1, 2, 3], "ess": [300.0, 160.0, 150.0, 70.0]})
    assert abcsmc.posterior_generation(gens, 100) == 2
    assert abcsmc.posterior_generation(gens, 50) == 3
    assert abcsmc.posterior_generation(gens, 400) == 3  # none reaches it: the last (the CLI warns)
    with pytest.raises(ValueError):
        abcsmc.posterior_generation(gens.iloc[:0], 100)


def test_ensemble_file_round_trip_and_draws(tiny_run, tmp_path):
    from sim.analysis.posterior import apply_draw, draw, load_ensemble

    spec, _, _, second = tiny_run
    path = abcsmc.write_ensemble(second, tmp_path / "posterior.json", command="aieco calibrate test")
    data = json.loads(path.read_text())
    assert data["provenance"]["command"] == "aieco calibrate test" and data["provenance"]["run_id"] == second.run_id
    assert data["provenance"]["fingerprint"] == spec.fingerprint() and len(data["generations"]) == 3
    ens = load_ensemble(path)
    assert ens.scenario == (ROOT / "scenarios" / "baseline.toml").resolve()
    assert ens.paths == [p.path for p in spec.priors] and ens.ess == pytest.approx(data["ess"])
    d1, d2 = draw(ens, 6, seed=5), draw(ens, 6, seed=5)
    pd.testing.assert_frame_equal(d1, d2)
    sc = apply_draw(ens.base_scenario(), d1.iloc[0], ens.paths)
    assert sc.labs.beta == pytest.approx(d1.iloc[0]["labs.beta"])


def test_summary_statistics_of_one_run_have_every_key(tiny_run):
    spec, *_ = tiny_run
    model, dist, obs, _ = abcsmc.make_problem(spec)
    x = model({p.name: (p.lower + p.upper) / 2 for p in spec.priors})
    assert set(dist.sigma) <= set(x) and set(obs) == set(dist.sigma)
    assert 0 <= x["P1_US_2023"] <= 1 and x["P3"] > 0 and 0 <= x["P5"] <= 1
    assert x == model({p.name: (p.lower + p.upper) / 2 for p in spec.priors})  # same particle, same numbers


@pytest.mark.slow
def test_dask_sampler_runs_a_generation(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = tiny_spec(tmp_path, population=3, generations=1, params=("labs.beta",))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        run = abcsmc.run_abc(spec, dask_client=client)
    gens = abcsmc.generation_table(run.history)
    assert list(gens["t"]) == [0] and gens["particles"].iloc[0] == 3


# ------------------------------------------------------------------------------------------------
# bad ensembles, posterior predictive check, strict verdicts


def write_ensemble_file(path, particles, params=(("labs.beta", 1.0, 10.0),)):
    path.write_text(json.dumps({
        "kind": "aieco posterior ensemble", "scenario": str(ROOT / "scenarios" / "baseline.toml"), "set": [],
        "parameters": [{"path": p, "lower": lo, "upper": hi} for p, lo, hi in params],
        "particles": particles}), encoding="utf-8")
    return path


@pytest.mark.parametrize("particles, needle", [
    ([{"weight": 1.0, "values": {"labs.beta": 20.0}}], "outside its prior"),
    ([{"weight": 0.0, "values": {"labs.beta": 2.0}}], "particles[0] key 'weight'"),
    ([{"weight": 1.0, "values": {"labs.spill_coef": 0.5}}], "particles[0] key 'values'"),
    ([], "no particles"),
])
def test_bad_ensemble_names_file_and_key(tmp_path, particles, needle):
    from sim.analysis.posterior import EnsembleError, load_ensemble

    path = write_ensemble_file(tmp_path / "e.json", particles)
    with pytest.raises(EnsembleError) as e:
        load_ensemble(path)
    assert str(path) in str(e.value) and needle in str(e.value)


def test_posterior_predictive_pools_draws_and_is_deterministic(tmp_path):
    from sim.analysis.posterior import load_ensemble, validate_posterior

    path = write_ensemble_file(tmp_path / "e.json", [{"weight": 0.5, "values": {"labs.beta": 2.0}},
                                                      {"weight": 0.5, "values": {"labs.beta": 8.0}}])
    ens = load_ensemble(path)
    a = validate_posterior(ens, draws=2, replications=1, seed=1, overrides=["developers.n=300"])
    b = validate_posterior(ens, draws=2, replications=1, seed=1, overrides=["developers.n=300"])
    assert a.replications.timeseries["replication"].nunique() == 2
    assert set(a.draws["labs.beta"]) <= {2.0, 8.0}
    pd.testing.assert_frame_equal(a.table, b.table)
    assert {"calibration", "held-out"} <= set(a.table["role"])  # 2025 simulated: held out
    assert set(a.verdicts["pattern"]) >= {"P1", "P2", "P3", "P5", "P6", "P7", "P8"}


def test_overlap_rule():
    assert overlaps(0.2, 0.4, 0.35, 0.6) and overlaps(0.2, 0.4, 0.4, 0.4) and not overlaps(0.2, 0.4, 0.41, 0.6)
    assert pd.isna(overlaps(math.nan, 0.4, 0.1, 0.2))


def test_strict_pattern_fails_on_one_failing_level():
    from sim.analysis.validation_eci import pattern_verdicts

    table = pd.DataFrame({"pattern": ["P2", "P2", "P2"], "kind": ["level", "level", "criterion"],
                          "passed": pd.array([True, False, True], dtype="boolean")})
    v = pattern_verdicts(table, ["P2"]).iloc[0]
    assert not v.passed and v.criteria_passed == 1 and v.levels_passed == 1


def test_validate_strict_exits_1_when_a_pattern_fails(tmp_path):
    r = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios" / "baseline.toml"), "-r", "2", "--set",
                                  "months=48", "--set", "developers.n=300", "--no-figures", "--strict", "--out",
                                  str(tmp_path / "v")])
    assert "verdict rule (strict)" in r.output
    assert f"results go to {tmp_path / 'v'}/" in " ".join(r.output.split())  # said before the runs start
    failed = "FAIL" in r.output.split("verdict:")[-1]
    assert r.exit_code == (1 if failed else 0), r.output
    r2 = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios" / "baseline.toml"), "-r", "2", "--set",
                                   "months=48", "--set", "developers.n=300", "--no-figures", "--out",
                                   str(tmp_path / "v2")])
    assert r2.exit_code == 0


def test_calibrate_cli_on_an_abc_spec(tmp_path):
    spec = tiny_spec(tmp_path, population=3, generations=1, params=("labs.beta",))
    r = CliRunner().invoke(main, ["calibrate", str(spec.source), "--no-figures"])
    assert r.exit_code == 0, r.output
    assert "ABC-SMC posterior" in r.output and "labs.beta" in r.output
    assert (tmp_path / "posterior.json").is_file() and (tmp_path / "out" / "generations.csv").is_file()
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["simulations"] > 0 and man["simulations_per_second"] > 0 and man["kind"] == "abc"
    r = CliRunner().invoke(main, ["figures", str(tmp_path / "out"), "--format", "png", "--out", str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    assert {"abc_diagnostics_double.png", "abc_marginals_double.png"} <= {p.name for p in (tmp_path / "f").iterdir()}


# ------------------------------------------------------------------------------------------------
# policy effects over the posterior


def synthetic_comparison(diffs: np.ndarray):
    """A PosteriorComparison whose paired differences are ``diffs`` (n_draws, R, T) on metric hhi."""
    from sim.analysis.posterior import PosteriorComparison
    from sim.scenario.schema import Scenario

    n, R, T = diffs.shape
    rows = []
    for i in range(n):
        for r in range(R):
            for t in range(T):
                base = {"draw": i, "replication": i * R + r, "month": t, "date": f"2022-{t + 1:02d}"}
                rows.append({**base, "scenario": "ref", "hhi": 1.0})
                rows.append({**base, "scenario": "alt", "hhi": 1.0 + diffs[i, r, t]})
    ts = pd.DataFrame(rows)
    draws = pd.DataFrame({"draw": range(n), "particle": range(n)})
    sc = Scenario()
    return PosteriorComparison(["ref", "alt"], [sc, sc], draws, ts, R, 0, 0.0)


def test_posterior_effects_summarise_draws_and_runs():
    from sim.analysis.posterior import posterior_effects

    # 4 draws x 2 runs x 3 months; draw means of the horizon: 1, 2, 3, -1
    d = np.zeros((4, 2, 3))
    d[:, :, 2] = [[0.5, 1.5], [2, 2], [3, 3], [-1, -1]]
    d[:, :, 1] = [[0, 0], [5, 5], [0, 0], [0, 0]]  # draw 1 peaks at month 1
    e = posterior_effects(synthetic_comparison(d), ["hhi"]).set_index("effect")
    h = e.loc["horizon"]
    assert h["median"] == pytest.approx(1.5) and h["sign_share"] == pytest.approx(0.75)
    assert h["n_draws"] == 4 and h["runs"] == 8
    lo, hi = np.quantile([1, 2, 3, -1], [0.05, 0.95])
    assert h["lo"] == pytest.approx(lo) and h["hi"] == pytest.approx(hi)
    slo, shi = np.quantile(d[:, :, 2].ravel(), [0.05, 0.95])
    assert h["spread_lo"] == pytest.approx(slo) and h["spread_hi"] == pytest.approx(shi)
    m = e.loc["mean"]  # per-draw means over the 3 months: 1/3, 7/3, 1, -1/3
    assert m["median"] == pytest.approx(np.median([1 / 3, 7 / 3, 1, -1 / 3]))
    p = e.loc["peak"]  # per-draw peaks: 1 (month 2), 5 (month 1), 3 (month 2), -1 (month 2)
    assert p["median"] == pytest.approx(2.0) and p["month_median"] == 2.0 and p["sign_share"] == 0.75


def test_compare_posterior_cli(tmp_path):
    path = write_ensemble_file(tmp_path / "e.json", [{"weight": 0.5, "values": {"labs.beta": 2.0}},
                                                      {"weight": 0.5, "values": {"labs.beta": 8.0}}])
    r = CliRunner().invoke(main, ["compare", str(ROOT / "scenarios" / "baseline.toml"),
                                  str(ROOT / "scenarios" / "no_export_controls.toml"), "--posterior", "2", "-r", "1",
                                  "--ensemble", str(path), "--months", "24", "--set", "developers.n=300", "--out",
                                  str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert "effects over the posterior" in r.output and "same sign" in r.output
    eff = pd.read_csv(tmp_path / "c" / "posterior_effects.csv")
    assert set(eff["effect"]) == {"horizon", "mean", "peak"} and (eff["n_draws"] == 2).all()
    man = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert man["draws"] == 2 and man["replications"] == 1 and man["runs"] == 4
    ts = pd.read_parquet(tmp_path / "c" / "timeseries.parquet")
    a = ts[ts.scenario == "baseline"].set_index(["replication", "month"])["open_share_CN"]
    b = ts[ts.scenario == "no_export_controls"].set_index(["replication", "month"])["open_share_CN"]
    assert a.index.equals(b.index)  # the same draws and runs in both scenarios


def test_posterior_point_writes_the_weighted_medians(tiny_run, tmp_path):
    """scripts/posterior_point.py writes each free parameter's weighted posterior median into the point scenario
    and keeps the file's other values."""
    import importlib.util
    import shutil
    import tomllib

    spec, _, _, second = tiny_run
    ens_path = abcsmc.write_ensemble(second, tmp_path / "posterior.json")
    out = tmp_path / "calibrated.toml"
    shutil.copy(ROOT / "scenarios" / "calibrated.toml", out)
    before = tomllib.loads(out.read_text())
    mod_spec = importlib.util.spec_from_file_location("posterior_point", ROOT / "scripts" / "posterior_point.py")
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    mod.main(ens_path, out)
    after = tomllib.loads(out.read_text())
    ens = abcsmc.posterior_ensemble(second.history, spec.priors)
    for p in spec.priors:
        section, key = p.path.split(".")
        med = abcsmc.weighted_quantiles(ens[p.path].to_numpy(float), ens["weight"].to_numpy(float), [0.5])[0]
        assert after[section][key] == pytest.approx(med, rel=1e-3)
    assert after["developers"] == before["developers"]  # a value the ensemble does not fit is kept
