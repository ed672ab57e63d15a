"""Merge the posterior ensembles of the release-decision theories into one file (issue 28).

``aieco calibrate experiments/abc.toml --theory T`` writes ``scenarios/posterior_T.json`` for each theory T (the
same population and generations for every theory). This script merges them into ``scenarios/posterior_theories.json``
(what ``aieco validate --theories`` reads; ``scenarios/posterior.json`` is the baseline theory's own ensemble): every
particle keeps its ``theory``, a parameter that belongs to some theories only lists them (``theories``), each
theory's weights sum to 1 / (number of theories) (equal prior odds of the theories: draws from the merged file
mix them equally; ``aieco validate --theories`` and ``scripts/posterior_point.py --theory`` read one theory), and
the provenance keeps each theory's own, with its posterior generation's epsilon as ``distance`` (the tie-break of
``aieco validate --theories``).

A single-theory ``scenarios/posterior.json`` whose particles carry no theory (written by ``aieco calibrate
experiments/abc.toml`` without ``--theory`` before issue 28) is the ``myopic`` theory's when no
``posterior_myopic.json`` exists: it is copied there first.

Usage: python scripts/merge_posteriors.py [--dir scenarios] [--out scenarios/posterior_theories.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.scenario.schema import DECISIONS  # noqa: E402


def _read(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("kind") != "aieco posterior ensemble":
        raise SystemExit(f"{path}: not an aieco posterior ensemble")
    return data


def _theory_of(data: dict) -> str | None:
    """The single theory of a file's particles (None when they mix theories)."""
    found = {p.get("theory", "myopic") for p in data["particles"]}
    return found.pop() if len(found) == 1 else None


def _epsilon(data: dict) -> float | None:
    """The epsilon of the file's posterior generation (its ``epsilon``, else read from ``generations``)."""
    if data.get("epsilon") is not None:
        return float(data["epsilon"])
    rows = [g for g in data.get("generations", []) if g.get("t") == data.get("generation")]
    return float(rows[0]["epsilon"]) if rows else None


def merge(files: dict[str, dict]) -> dict:
    """The merged ensemble of ``files`` (theory -> ensemble JSON)."""
    n = len(files)
    params: dict[str, dict] = {}
    for theory, data in files.items():
        for p in data["parameters"]:
            q = params.setdefault(p["path"], {k: v for k, v in p.items() if k != "theories"} | {"theories": []})
            q["theories"].append(theory)
    for q in params.values():
        if sorted(q["theories"]) == sorted(files):
            del q["theories"]  # every theory: no list
    particles = []
    for theory, data in files.items():
        total = sum(p["weight"] for p in data["particles"])
        particles += [{"weight": p["weight"] / total / n, "values": p["values"], "theory": theory}
                      for p in data["particles"]]
    first = next(iter(files.values()))
    sets = [s for s in first.get("set", []) if not s.replace(" ", "").startswith("labs.decision=")]
    return {"kind": "aieco posterior ensemble",
            "description": "Posterior ensembles of the theories of the release decision (" + ", ".join(files)
                           + "), each fitted by ABC-SMC with the same budget (`aieco calibrate experiments/abc.toml "
                           "--theory T`), merged by scripts/merge_posteriors.py; each theory's weights sum to 1/"
                           f"{n}. Do not edit by hand.",
            "scenario": first["scenario"], "set": sets,
            "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "provenance": {"merged_by": "scripts/merge_posteriors.py",
                           "distance": {t: _epsilon(d) for t, d in files.items()},
                           "theories": {t: d.get("provenance", {}) | {"generation": d.get("generation"),
                                                                       "ess": d.get("ess")}
                                        for t, d in files.items()}},
            "parameters": list(params.values()), "particles": particles}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(ROOT / "scenarios"))
    ap.add_argument("--out", default=None, help="default: <dir>/posterior_theories.json")
    args = ap.parse_args()
    folder = Path(args.dir)
    out = Path(args.out) if args.out else folder / "posterior_theories.json"
    myopic, single = folder / "posterior_myopic.json", folder / "posterior.json"
    if not myopic.exists() and single.exists() and _theory_of(_read(single)) == "myopic":
        myopic.write_text(single.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"copied {single} (myopic) to {myopic}")
    files = {t: _read(folder / f"posterior_{t}.json") for t in DECISIONS if (folder / f"posterior_{t}.json").exists()}
    missing = [t for t in DECISIONS if t not in files]
    if files and missing:
        print(f"warning: no posterior_<theory>.json for {', '.join(missing)} in {folder}: the merged file holds "
              f"{', '.join(files)} only (fit the others with aieco calibrate experiments/abc.toml --theory T)")
    if not folder.is_dir():
        raise SystemExit(f"--dir {folder}: no such folder")
    if not files:
        raise SystemExit(f"no posterior_<theory>.json in {folder}: run aieco calibrate experiments/abc.toml --theory T")
    merged = merge(files)
    scenario = (folder / merged["scenario"]).resolve()  # relative to the inputs' folder; rebased to the output's
    merged["scenario"] = os.path.relpath(scenario, out.resolve().parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: " + ", ".join(f"{t} {len(d['particles'])} particles" for t, d in files.items()))


if __name__ == "__main__":
    main()
