#!/usr/bin/env bash
# Regenerate the repository's figures/ folder: the ONE documented command (see figures/README.md).
#
#   scripts/make_figures.sh              # from anywhere in the repository: ~30-40 min on 2 cores, of which
#                                        # ~25 are the Sobol' analysis (SOBOL=0 skips it: 5-15 min)
#   scripts/make_figures.sh --draw-only  # redraw figures/ from the results folders of the last full run
#
# Steps (each one results folder under $RESULTS, then `aieco figures` into figures/<set>/):
#   1. baseline      aieco run      scenarios/baseline.toml, 20 replications                     (~10 s)
#   2. comparison    aieco compare  baseline vs no_export_controls, strict_controls and the issue-15 levers
#                    (us_ban_cn_open, us_public_ban_cn_open, no_us_api_block, weight_export_controls), 20 reps
#                    (~2 min)
#   3. export grid   aieco sweep    experiments/export_controls_grid.toml: 6 x 6 grid, 20 reps    (2-6 min)
#   4. uncertainty   aieco sweep    experiments/uncertainty_lhs.toml: 500-point LHS, 1 replication (1-3 min)
#   5. sobol         aieco sensitivity experiments/sobol_baseline.toml: 512 x 12 = 6,144 runs (~25 min on two
#                    free cores); skipped with a message when SOBOL=0 or the spec or the command is missing.
#   6. distillation  python scripts/distillation_controls.py: strict controls vs baseline over the distillation
#                    parameters' plausible range, 10 replications (~3 min); not redrawn with --draw-only.
#   7. discovery     aieco sweep experiments/discovery_lhs.toml (400 runs, 2-7 min) and aieco discover on it with
#                    the condition $DISCOVERY_WHERE (default: China's frontier within 9 months of the US's)
#
# ONLY=discovery scripts/make_figures.sh (or ONLY=baseline,comparison) makes only the named sets (baseline,
# comparison, export_controls_grid, uncertainty_lhs, sobol_baseline, distillation_controls, calibration, discovery); the
# other folders of figures/ are left as they are.
# Every set: PNG (300 dpi) and PDF at double width (7 in), PNG at single width (3.5 in), each with a JSON provenance sidecar; the results manifest the figures came from is copied beside them as
# results_manifest.json (its SHA-256 is the sidecars' manifest_sha256).
#
# Environment: RESULTS (default results/figure_inputs, not committed), WORKERS (default 2),
# GRID_REPLICATIONS (default 20; 10 halves the sweep's time, with visibly noisier cell means), SOBOL (default 1),
# SOBOL_RESULTS (default $RESULTS/sobol_baseline; with --draw-only, point it at a finished analysis, e.g.
# SOBOL_RESULTS=results/sensitivity/sobol_baseline scripts/make_figures.sh --draw-only), DISCOVERY_WHERE (default
# "us_cn_gap_months_mean12 < 9"), DISCOVERY_ARGS (default "--peel-alpha 0.1"), ONLY (default: every set).
set -euo pipefail
DRAW_ONLY=0
if [[ "${1:-}" == "--draw-only" ]]; then DRAW_ONLY=1; elif [[ $# -gt 0 ]]; then
    echo "usage: scripts/make_figures.sh [--draw-only]" >&2; exit 2; fi

cd "$(dirname "$0")/.."
RESULTS="${RESULTS:-results/figure_inputs}"
WORKERS="${WORKERS:-2}"
GRID_REPLICATIONS="${GRID_REPLICATIONS:-20}"
SOBOL="${SOBOL:-1}"
SOBOL_RESULTS="${SOBOL_RESULTS:-$RESULTS/sobol_baseline}"
ABC_RESULTS="${ABC_RESULTS:-results/abc}"   # the calibration's own folder: never rerun here (it takes ~1 h)
FIGURES=figures
DISCOVERY_WHERE="${DISCOVERY_WHERE:-us_cn_gap_months_mean12 < 9}"
# PRIM peels 10% of the box per step: with a few dozen cases of interest in 11 factors, 5% steps restrict inert
# factors on a handful of runs (see figures/README.md)
DISCOVERY_ARGS="${DISCOVERY_ARGS:---peel-alpha 0.1}"
ONLY="${ONLY:-}"

say() { printf '\n== %s\n' "$*" >&2; }
want() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }  # want <set>: is this set to be made?

draw() {  # draw <results folder> <figure set> [double]: double width PNG+PDF, single width PNG (unless
          # "double" is given), and the results manifest
    local res="$1" set="$2" only="${3:-}"
    if (( DRAW_ONLY )) && [[ ! -f "$res/manifest.json" ]]; then
        echo "SKIPPED: no results in $res (run without --draw-only first); $FIGURES/$set/ left as it is." >&2
        return 0
    fi
    rm -rf "${FIGURES:?}/$set"
    aieco figures "$res" --width double --format png,pdf --out "$FIGURES/$set"
    if [[ "$only" != double ]]; then
        aieco figures "$res" --width single --format png --out "$FIGURES/$set"
    fi
    cp "$res/manifest.json" "$FIGURES/$set/results_manifest.json"
}

mkdir -p "$RESULTS" "$FIGURES"

if want baseline; then
say "1/7 baseline: aieco run scenarios/baseline.toml, 20 replications"
if (( ! DRAW_ONLY )); then
    rm -rf "$RESULTS/baseline"
    aieco run scenarios/baseline.toml --replications 20 --out "$RESULTS/baseline" --no-figures --overwrite
fi
draw "$RESULTS/baseline" baseline
fi

if want comparison; then
say "2/7 scenario comparison: baseline vs export controls and the developer-side levers, 20 replications"
if (( ! DRAW_ONLY )); then
    rm -rf "$RESULTS/comparison"
    aieco compare scenarios/baseline.toml scenarios/no_export_controls.toml scenarios/strict_controls.toml \
        scenarios/us_ban_cn_open.toml scenarios/us_public_ban_cn_open.toml scenarios/no_us_api_block.toml \
        scenarios/weight_export_controls.toml --also cn_on_cn_open --also us_on_cn_open \
        --replications 20 --out "$RESULTS/comparison" --no-figures
fi
draw "$RESULTS/comparison" comparison
if [[ -f "$RESULTS/comparison/timeseries.parquet" ]]; then
    python scripts/open_adoption.py "$RESULTS/comparison" --out "$FIGURES/comparison/open_adoption.md" >/dev/null
fi
fi

if want export_controls_grid; then
say "3/7 export-control grid: 36 points x $GRID_REPLICATIONS replications on $WORKERS workers (2-6 minutes)"
if (( ! DRAW_ONLY )); then
    rm -rf "$RESULTS/export_controls_grid"
    aieco sweep experiments/export_controls_grid.toml --workers "$WORKERS" --replications "$GRID_REPLICATIONS" \
        --out "$RESULTS/export_controls_grid" --no-progress
fi
draw "$RESULTS/export_controls_grid" export_controls_grid
fi

if want uncertainty_lhs; then
say "4/7 uncertainty: 500-point Latin hypercube over 17 parameters, 1 replication each, on $WORKERS workers"
if (( ! DRAW_ONLY )); then
    rm -rf "$RESULTS/uncertainty_lhs"
    aieco sweep experiments/uncertainty_lhs.toml --workers "$WORKERS" --replications 1 \
        --out "$RESULTS/uncertainty_lhs" --no-progress
fi
draw "$RESULTS/uncertainty_lhs" uncertainty_lhs
fi

if want sobol_baseline; then
say "5/7 Sobol' analysis of the baseline"
if [[ "$SOBOL" != 0 && -f experiments/sobol_baseline.toml ]] && aieco sensitivity --help >/dev/null 2>&1; then
    if (( ! DRAW_ONLY )); then
        rm -rf "$SOBOL_RESULTS"
        aieco sensitivity experiments/sobol_baseline.toml --workers "$WORKERS" --out "$SOBOL_RESULTS"
    fi
    draw "$SOBOL_RESULTS" sobol_baseline
else
    echo "SKIPPED (SOBOL=0, or experiments/sobol_baseline.toml or 'aieco sensitivity' missing);" \
         "figures/sobol_baseline/ left as it is." >&2
fi
fi

if want distillation_controls; then
say "6/7 strict controls across the distillation parameters (scripts/distillation_controls.py)"
if (( ! DRAW_ONLY )); then
    python scripts/distillation_controls.py --replications 10 --out "$FIGURES/distillation_controls"
else
    echo "SKIPPED with --draw-only (the script runs its own simulations); $FIGURES/distillation_controls/ left as it is." >&2
fi
fi

if want calibration; then
say "calibration: ABC-SMC diagnostics and marginal posteriors from \$ABC_RESULTS (aieco calibrate experiments/abc.toml)"
if [[ -f "$ABC_RESULTS/manifest.json" ]]; then
    draw "$ABC_RESULTS" calibration
else
    echo "SKIPPED ($ABC_RESULTS has no ABC results: run aieco calibrate experiments/abc.toml first, ~1 h on 2 cores);" \
         "figures/calibration/ left as it is." >&2
fi
fi

if want discovery; then
say "7/7 scenario discovery: 400-run Latin hypercube over levers and uncertainties, then PRIM for '$DISCOVERY_WHERE'"
if (( ! DRAW_ONLY )); then
    rm -rf "$RESULTS/discovery_lhs" "$RESULTS/discovery"
    aieco sweep experiments/discovery_lhs.toml --workers "$WORKERS" --out "$RESULTS/discovery_lhs" --no-progress
    # shellcheck disable=SC2086  # DISCOVERY_ARGS is a list of options
    aieco discover "$RESULTS/discovery_lhs" --where "$DISCOVERY_WHERE" $DISCOVERY_ARGS --out "$RESULTS/discovery" \
        --no-figures
fi
draw "$RESULTS/discovery" discovery
[[ -f "$RESULTS/discovery_lhs/manifest.json" ]] && cp "$RESULTS/discovery_lhs/manifest.json" "$FIGURES/discovery/sweep_manifest.json"
fi

say "done: $(find "$FIGURES" -name '*.png' | wc -l) PNG files in $FIGURES/ (catalogue: $FIGURES/README.md)"
