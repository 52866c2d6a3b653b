#!/usr/bin/env bash
# Sweep the penguins classifier, from any folder:
#
#     examples/sweep/sweep.sh [GRID] [more greenhouse sweep options]
#
# GRID is a grid file beside this script (default grid.yaml; features.yaml asks which
# measurements matter). The sweep runs on two local worker processes and prints every
# run's parameters and metrics, best accuracy first; add --dask local to run it on a
# local Dask cluster instead. Then:
#
#     greenhouse runs --sweep ID      # the results table again
#     greenhouse diff --sweep ID      # every run's parameters and metrics side by side
#     greenhouse diff RUN_A RUN_B     # two runs of it, as any two runs
#
# Exit status: that of greenhouse sweep (1 when a run failed, 2 for a bad grid).
set -euo pipefail
cd "$(dirname "$0")/.."
GRID=sweep/${1:-grid.yaml}
exec greenhouse sweep palmer_penguins/penguins.ipynb --grid "$GRID" --workers 2 \
    --sort -accuracy "${@:2}"
