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
