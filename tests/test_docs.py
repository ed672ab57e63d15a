"""Research-software conventions: citation metadata, licence, version, and documentation that stays true."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from click.testing import CliRunner

import sim
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_citation_cff_valid_against_schema():
    """CITATION.cff validates against the Citation File Format 1.2.0 JSON schema (vendored from cffconvert)."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    schema = json.loads((ROOT / "tests" / "data" / "cff-schema-1.2.0.json").read_text())
    jsonschema.validate(cff, schema)
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert key in cff
    assert cff["version"] == sim.__version__


def test_version_and_licence():
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and sim.__version__ in res.output
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert f"[{sim.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_parameter_table_is_current():
    """docs/parameters.md equals what `aieco scenarios params` prints (regenerate it when the schema changes)."""
    res = CliRunner().invoke(main, ["scenarios", "params", "--specs", str(ROOT / "experiments")])
    assert res.exit_code == 0, res.output
    committed = (ROOT / "docs" / "parameters.md").read_text()
    assert res.output == committed, ("docs/parameters.md is out of date: run "
                                     "`aieco scenarios params --format markdown > docs/parameters.md`")


def _all_commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, (*prefix, name))


def test_every_command_help_mentions_each_option():
    runner = CliRunner()
    for path, cmd in _all_commands(main):
        res = runner.invoke(main, [*path, "--help"])
        assert res.exit_code == 0, (path, res.output)
        for p in cmd.params:
            for opt in getattr(p, "opts", []):
                if opt.startswith("-") and p.param_type_name == "option":
                    assert opt in res.output, (path, opt)


def test_readme_commands_are_accepted_by_the_cli():
    """Every `aieco ...` line in the README's code blocks names a command that exists (its --help runs)."""
    import shlex

    lines, lang = [], None
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            lang = None if lang is not None else (line[3:].strip() or "text")
        elif lang in ("bash", "sh", "console"):
            lines += [seg.strip() for seg in line.split("&&")]
    cmds = [shlex.split(seg.split("#")[0]) for seg in lines if seg.startswith("aieco ")]
    assert len(cmds) >= 5
    runner = CliRunner()
    for argv in cmds:
        words = [w for w in argv[1:] if not w.startswith("-")]
        path, group = [], main
        for w in words:  # descend through groups while the word is a subcommand
            sub = getattr(group, "commands", {}).get(w)
            if sub is None:
                break
            path.append(w)
            group = sub
        res = runner.invoke(main, [*path, "--help"])
        assert res.exit_code == 0, (argv, res.output)
        used = [w.split("=")[0] for w in argv if w.startswith("--")]
        for opt in used:
            assert opt in res.output or opt in ("--help", "--version"), (argv, opt)


def test_parameter_table_gives_no_region_a_plausible_range_its_default_lies_outside():
    """Issue 17: China's 20-300 alternative-chip range and its source were copied onto the US, EU and ROW
    rows, whose default is 1e9 (unconstrained)."""
    from sim.scenario.paramdoc import parameter_table
    from sim.scenario.schema import field_info

    t = parameter_table()
    for r in t.itertuples(index=False):
        if r.plausible_range and r.default.replace(".", "", 1).replace("e+", "", 1).isdigit():
            lo, hi = (float(x) for x in r.plausible_range.split(" - "))
            assert lo <= float(r.default) <= hi, r.path
    us = t.set_index("path").loc["compute.alt_supply_h100e.US"]
    lo, hi = field_info("compute.alt_supply_h100e.CN")["plausible"]
    assert us["plausible_range"] == "" and "Huawei" not in us["source"] and f"CN: {lo:g} - {hi:g}" in us["source"]


def _readme_block(lang: str, after: str) -> str:
    """The first ```lang code block of the README after the line containing ``after``."""
    text = (ROOT / "README.md").read_text()
    rest = text[text.index(after):]
    start = rest.index(f"```{lang}\n") + len(lang) + 4
    return rest[start:rest.index("```", start)]


def test_readme_adding_a_lab_example_runs(tmp_path, monkeypatch):
    """The README's roster and scenario example, as a user would save them, runs with the new lab entering."""
    import pandas as pd

    from sim.model.labs import ROSTER_COLUMNS

    roster = _readme_block("csv", "**Adding a lab")
    scenario = _readme_block("toml", "**Adding a lab")
    (tmp_path / "my_roster.csv").write_text(roster)
    (tmp_path / "my_labs.toml").write_text(scenario.replace("scenarios/baseline.toml", str(ROOT / "scenarios" /
                                                                                         "baseline.toml")))
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{c}`" in readme for c in ROSTER_COLUMNS)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["run", "my_labs.toml", "--months", "24", "--set", "developers.n=200",
                                    "--no-figures", "--out", "o"])
    assert res.exit_code == 0, res.output
    labs = pd.read_parquet(tmp_path / "o" / "labs.parquet")
    assert set(labs["lab"]) == {"Frontier-US", "Open-CN", "New-EU-Lab"}
    assert labs[labs["lab"] == "New-EU-Lab"]["date"].min() == "2023-06"
