"""Write the posterior ensemble's weighted medians into the point scenario the baseline extends (issue 16).

Usage: python scripts/posterior_point.py [scenarios/posterior.json] [scenarios/calibrated.toml] [--theory NAME]

`scenarios/baseline.toml` extends `scenarios/calibrated.toml`; after `aieco calibrate experiments/abc.toml` this
writes, for every free parameter of the ensemble, its weighted posterior median (with its 90% interval in a
comment), keeping the file's other values. An ensemble of several theories of the release decision (a particle's
`theory`, myopic when absent) needs --theory: the point is that theory's particles' medians, and a theory other than
myopic is written as `labs.decision`. Single runs and figures use this point; `aieco validate --posterior`
and `aieco compare --posterior` use the whole ensemble.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from sim.analysis.abcsmc import weighted_quantiles
from sim.analysis.calibration import fitted_tables, toml_value
from sim.analysis.posterior import EnsembleError, load_ensemble
from sim.analysis.provenance import git_commit
from sim.scenario import field_info, load_scenario
from sim.scenario.schema import unused_parameters

ROOT = Path(__file__).resolve().parents[1]


def point_values(ens) -> dict[str, tuple[float, float, float]]:
    """{path: (median, q05, q95)} of each parameter, weighted by the particles' weights."""
    w = ens.particles["weight"].to_numpy(float)
    out = {}
    for p in ens.parameters:
        x = ens.particles[p["path"]].to_numpy(float)
        q05, med, q95 = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
        out[p["path"]] = (float(med), float(q05), float(q95))
    return out


def main(ens_path: Path, out: Path, theory: str | None = None) -> Path:
    try:
        ens = load_ensemble(ens_path)
    except EnsembleError as e:
        raise SystemExit(f"error: {e}") from None
    if theory is None and len(ens.theories) > 1:
        raise SystemExit(f"{ens_path}: particles of several theories ({', '.join(ens.theories)}): choose one with "
                         "--theory (the best-supported, `aieco validate --theories`)")
    theory = theory or ens.theories[0]
    try:
        ens = ens.for_theory(theory)
    except EnsembleError as e:
        raise SystemExit(str(e)) from None
    vals = point_values(ens)
    fitted = {k: (int(round(v[0])) if isinstance(field_info(k)["default"], int) else float(f"{v[0]:.4g}"))
              for k, v in vals.items()}
    fitted = {"labs.decision": theory, **fitted}
    old = tomllib.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    # another theory's point: drop its decision and the parameters only other theories use
    theirs = {p["path"] for p in load_ensemble(ens_path).parameters if p.get("theories")} - set(fitted)
    theirs |= {f"labs.{n}" for n in unused_parameters(theory)} - set(fitted)
    for path in theirs | {"labs.decision"}:
        section, key = path.split(".", 1)
        if isinstance(old.get(section), dict):
            old[section].pop(key, None)
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    tables = fitted_tables(base, fitted)
    for section, values in old.items():  # keep the file's other values
        if isinstance(values, dict):
            for k, v in values.items():
                tables.setdefault(section, {}).setdefault(k, v)
    git = git_commit()
    raw = json.loads(ens_path.read_text(encoding="utf-8"))
    sha = hashlib.sha256(ens_path.read_bytes()).hexdigest()[:16]
    prov = raw.get("provenance", {})
    head = [
        "# Point values for single runs and figures: the weighted posterior medians of the ABC-SMC",
        f"# ensemble {ens_path.relative_to(ROOT) if ens_path.is_relative_to(ROOT) else ens_path} "
        f"(ESS {ens.ess:.1f}; ABC run {prov.get('run_id')}, generation {raw.get('generation')}, created "
        f"{raw.get('created')}, sha256 {sha}),",
        "# written by `python scripts/posterior_point.py`; do not edit by hand, rerun it.",
        f"# Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; git commit {git.get('commit')}"
        f"{' (dirty tree)' if git.get('dirty') else ''}. The ensemble itself (every particle and weight) is what",
        "# `aieco validate --posterior` and `aieco compare --posterior` draw from.",
        "# Posterior medians and 90% intervals:",
        *[f"#   {k} = {v[0]:.4g} [{v[1]:.4g}, {v[2]:.4g}]" for k, v in vals.items()],
        "",
        'name = "calibrated"',
        'label = "Calibrated point values"',
        'description = "Posterior medians of the ABC-SMC calibration (experiments/abc.toml) against the 2022-2024 '
        'Epoch targets; scenarios/baseline.toml extends this file."',
        "",
    ]
    body = []
    for table, values in tables.items():
        if table in ("name", "label", "description"):
            continue
        body.append(f"[{table}]")
        body += [f"{k} = {toml_value(v)}" for k, v in values.items()]
        body.append("")
    text = "\n".join(head + body)
    tomllib.loads(text)
    out.write_text(text, encoding="utf-8")
    load_scenario(ROOT / "scenarios" / "baseline.toml")  # the baseline still loads
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ensemble", nargs="?", type=Path, default=ROOT / "scenarios" / "posterior.json",
                    help="the posterior ensemble (default: scenarios/posterior.json)")
    ap.add_argument("out", nargs="?", type=Path, default=ROOT / "scenarios" / "calibrated.toml",
                    help="the scenario file to write (default: scenarios/calibrated.toml)")
    ap.add_argument("--theory", default=None, help="with an ensemble of several theories: the theory whose point to write")
    args = ap.parse_args()
    print("wrote", main(args.ensemble.resolve(), args.out.resolve(), args.theory))
