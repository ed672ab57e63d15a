"""Calibrating the theories of the release decision with the same budget (issue 28): a spec per theory, and the
merged ensemble every reader takes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sim.analysis.abcsmc import ABCError, for_theory, load_abc_spec
from sim.analysis.posterior import apply_draw, load_ensemble

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "abc.toml"


def _merge_module():
    spec = importlib.util.spec_from_file_location("merge_posteriors", ROOT / "scripts" / "merge_posteriors.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_each_theory_gets_its_parameters_the_same_budget_and_its_own_outputs():
    spec = load_abc_spec(SPEC)
    base = [p.path for p in spec.priors if p.theories is None]
    for theory in ("myopic", "learning", "imitation", "strategic"):
        t = for_theory(spec, theory)
        paths = [p.path for p in t.priors]
        assert paths[:len(base)] == base  # every theory fits the shared parameters
        assert all(p.theories is None or theory in p.theories for p in t.priors)
        assert t.sets[-1] == f"labs.decision={theory}" and t.theory == theory
        assert (t.population, t.generations, t.min_acceptance_rate) == (spec.population, spec.generations,
                                                                        spec.min_acceptance_rate)
        assert t.min_ess == spec.min_ess  # every theory's posterior by the same rule
        assert t.output.name == f"posterior_{theory}.json" and t.db.parent.name == theory
        assert t.fingerprint() != spec.fingerprint()
    assert len(for_theory(spec, "strategic").priors) > len(for_theory(spec, "learning").priors) > len(base)
    assert len(for_theory(spec, "myopic").priors) == len(base)
    with pytest.raises(ABCError, match="--theory"):
        for_theory(spec, "rational")


def test_a_bad_theories_key_names_the_file_and_what_is_allowed(tmp_path):
    text = SPEC.read_text().replace('theories = ["learning", "strategic"]', 'theories = ["learnin"]', 1)
    bad = tmp_path / "abc.toml"
    bad.write_text(text.replace('"../', f'"{SPEC.parent.parent}/'))
    with pytest.raises(ABCError, match=r"parameters\[\d+\]: key 'theories'.*myopic, learning, imitation, strategic"):
        load_abc_spec(bad)
    bad.write_text(text.replace('theories = ["learnin"]', 'theories = ["myopic", "imitation"]', 1)
                   .replace('"../', f'"{SPEC.parent.parent}/'))
    with pytest.raises(ABCError, match=r"labs.ewa_phi is used only by the theories learning, strategic"):
        load_abc_spec(bad)  # fitting a parameter under a theory that does not use it is refused


def test_merged_ensemble_keeps_each_particles_theory_and_weights_theories_equally(tmp_path):
    def ensemble(theory: str | None, params: list[dict], values: list[dict]) -> dict:
        return {"kind": "aieco posterior ensemble", "scenario": str(ROOT / "scenarios" / "baseline.toml"),
                "set": [f"labs.decision={theory}"] if theory else [], "parameters": params, "generation": 1,
                "generations": [{"t": 1, "epsilon": 2.5 if theory else 3.0}],
                "particles": [{"weight": w, "values": v} | ({"theory": theory} if theory else {})
                              for w, v in zip((1.0, 3.0), values, strict=True)]}
    beta = {"path": "labs.beta", "lower": 1, "upper": 10}
    phi = {"path": "labs.ewa_phi", "lower": 0.5, "upper": 1.0, "theories": ["learning", "strategic"]}
    (tmp_path / "posterior.json").write_text(json.dumps(ensemble(None, [beta], [{"labs.beta": 2}, {"labs.beta": 3}])))
    (tmp_path / "posterior_learning.json").write_text(json.dumps(ensemble(
        "learning", [beta, phi], [{"labs.beta": 4, "labs.ewa_phi": 0.6}, {"labs.beta": 5, "labs.ewa_phi": 0.9}])))
    mod = _merge_module()
    import sys
    argv, sys.argv = sys.argv, ["merge_posteriors.py", "--dir", str(tmp_path)]
    try:
        mod.main()
    finally:
        sys.argv = argv
    assert (tmp_path / "posterior_myopic.json").is_file()  # the single-theory file kept as the myopic theory's
    ens = load_ensemble(tmp_path / "posterior_theories.json")
    assert Path(ens.scenario).resolve() == (ROOT / "scenarios" / "baseline.toml").resolve()  # a working path
    assert ens.theories == ["myopic", "learning"] and ens.sets == []
    w = ens.particles.groupby("theory")["weight"].sum()
    assert w["myopic"] == pytest.approx(0.5) and w["learning"] == pytest.approx(0.5)
    assert ens.provenance["distance"] == {"myopic": 3.0, "learning": 2.5}
    learning = ens.for_theory("learning")
    assert list(learning.particles["labs.ewa_phi"]) == [0.6, 0.9]
    assert learning.particles["weight"].tolist() == pytest.approx([0.25, 0.75])
    assert "labs.ewa_phi" not in ens.for_theory("myopic").paths


def test_a_theory_run_on_another_theorys_point_resets_what_it_does_not_use():
    """The baseline's point is one theory's; running another (a posterior draw, a --theory fit) keeps the shared
    values, resets the parameters of mechanisms it does not use to their defaults, and warns about none of them."""
    import warnings

    from sim.analysis.abcsmc import base_scenario
    from sim.scenario.schema import Labs, with_values

    strategic = with_values(base_scenario(for_theory(load_abc_spec(SPEC), "strategic")),
                            {"labs.ewa_phi": 0.6, "labs.imitation_weight": 2.0})
    for theory, phi, weight in (("myopic", None, None), ("learning", 0.6, None), ("imitation", None, 2.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning about an unused parameter fails the test
            sc = apply_draw(strategic, {"theory": theory}, [])
        assert sc.labs.decision == theory
        assert sc.labs.ewa_phi == (phi if phi is not None else Labs.model_fields["ewa_phi"].default)
        assert sc.labs.imitation_weight == (weight if weight is not None else
                                            Labs.model_fields["imitation_weight"].default)
        assert sc.labs.beta == strategic.labs.beta  # shared values kept


def test_a_draw_sets_its_theory_and_leaves_out_what_it_does_not_use_or_the_scenario_keeps():
    """The values a posterior draw sets (validate and compare --posterior): NaN (a parameter of another theory) left
    out, the draw's theory, and nothing a scenario sets itself."""
    from sim.analysis.posterior import draw_values

    row = {"theory": "learning", "labs.beta": 4.0, "labs.ewa_phi": 0.7, "labs.imitation_weight": float("nan")}
    paths = ["labs.beta", "labs.ewa_phi", "labs.imitation_weight"]
    v = draw_values(row, paths)
    assert v["labs.decision"] == "learning" and v["labs.beta"] == 4.0 and v["labs.ewa_phi"] == 0.7
    assert "labs.imitation_weight" not in v  # NaN: the draw's theory does not use it (with_values resets it)
    kept = draw_values(row, paths, keep=["labs.beta", "labs.decision"])
    assert "labs.beta" not in kept and "labs.decision" not in kept and "labs.imitation_weight" not in kept


def test_set_decision_resets_inherited_values_of_unused_mechanisms_but_keeps_and_warns_about_given_ones(tmp_path):
    import warnings

    from sim.scenario.schema import Labs, load_scenario, scenario_notes

    base = tmp_path / "strategic.toml"  # a point fitted under strategic, as the baseline's calibrated.toml
    base.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "s"\n\n'
                    '[labs]\ndecision = "strategic"\newa_phi = 0.6\n', encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc = load_scenario(base, ["labs.decision=myopic"])
    assert sc.labs.ewa_phi == Labs.model_fields["ewa_phi"].default
    assert any("back to their defaults" in n for n in scenario_notes(sc))
    with pytest.warns(UserWarning, match="labs.ewa_phi = 0.7 has no effect under labs.decision = 'myopic'"):
        sc = load_scenario(base, ["labs.decision=myopic", "labs.ewa_phi=0.7"])
    assert sc.labs.ewa_phi == 0.7  # a value the user gives is kept, and its uselessness said


def test_a_file_that_sets_its_theory_drops_inherited_values_of_unused_mechanisms(tmp_path):
    import warnings

    from sim.scenario.schema import Labs, load_scenario

    parent = tmp_path / "strategic.toml"
    parent.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "s"\n\n'
                      '[labs]\ndecision = "strategic"\newa_phi = 0.6\nswitch_cost = 1.5\n', encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "strategic.toml"\nname = "c"\n\n[labs]\ndecision = "imitation"\n', encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc = load_scenario(child)
    assert sc.labs.ewa_phi == Labs.model_fields["ewa_phi"].default  # learning's, inherited: dropped
    assert sc.labs.switch_cost == 1.5  # imitation's, inherited: kept


def test_posterior_runs_refuse_a_set_of_what_the_draws_set():
    from sim.analysis.posterior import EnsembleError, refuse_drawn_overrides

    ens = load_ensemble(ROOT / "scenarios" / "posterior.json")
    for bad in ("labs.decision=myopic", f"{ens.paths[0]}=0.5"):
        with pytest.raises(EnsembleError, match="with --posterior every draw sets"):
            refuse_drawn_overrides(ens, [bad])
    refuse_drawn_overrides(ens, ["governments.US.leakage=0.9"])  # not drawn: allowed


def test_a_thin_ensemble_is_warned_about_below_the_floor_only():
    from dataclasses import replace

    from sim.analysis.posterior import THIN_ESS, thin_ensemble_warning

    ens = load_ensemble(ROOT / "scenarios" / "posterior.json")
    assert thin_ensemble_warning(replace(ens, ess=THIN_ESS)) is None
    assert "effective sample size of 19.9" in thin_ensemble_warning(replace(ens, ess=19.9))


def test_a_scenario_that_keeps_its_theory_is_not_given_the_draws_unused_values():
    """A scenario that sets its own theory keeps it in every draw; the drawn values of what that theory does not use
    are left out (they would have no effect), and its reset defaults do not count as values of its own."""
    from sim.analysis.posterior import draw_values, kept_paths
    from sim.scenario.schema import with_values

    ens = load_ensemble(ROOT / "scenarios" / "posterior.json")  # strategic: draws set ewa_* and imitation_*
    imitation = with_values(ens.base_scenario(), {"labs.decision": "imitation"})
    assert kept_paths([ens.base_scenario(), imitation], ens) == [[], ["labs.decision"]]
    row = ens.particles.iloc[0]
    v = draw_values(row, ens.paths, keep=["labs.decision"], decision="imitation")
    assert "labs.decision" not in v and not any(k.startswith("labs.ewa_") for k in v)
    assert v["labs.imitation_weight"] == row["labs.imitation_weight"]


def test_with_values_warns_only_about_the_values_it_sets(tmp_path):
    import warnings

    from sim.scenario.schema import load_scenario, with_values

    f = tmp_path / "imit.toml"
    f.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "i"\n\n'
                 '[labs]\ndecision = "imitation"\newa_phi = 0.7\n', encoding="utf-8")
    with pytest.warns(UserWarning, match="labs.ewa_phi = 0.7 has no effect"):
        sc = load_scenario(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the file's own warning is not repeated
        with_values(sc, {"developers.n": 500})
    with pytest.warns(UserWarning, match="labs.ewa_rho = 0.3 has no effect") as got:
        with_values(sc, {"labs.ewa_rho": 0.3})
    assert not any("ewa_phi" in str(w.message) for w in got)
