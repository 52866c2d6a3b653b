#!/usr/bin/env bash
# The CI recipe's steps. greenhouse.yml runs them one by one; run them here to try the
# recipe, from the repository root:
#
#     examples/ci/pipeline.sh papermill run check publish report
#
# Steps (in this order; each reads what the ones before left in $OUT):
#   papermill  run the notebook with plain papermill: the workflow runs this step before it
#              installs greenhouse, to show the notebook works without it
#   run        run it with `greenhouse run`, which records everything about the run
#   check      gate the run: accuracy >= MIN_ACCURACY, and when NAME@production exists
#              (and verifies intact), at most MAX_DROP below production's accuracy
#   publish    publish the run as the next version of NAME and point production at it
#   report     write the run's offline HTML report to $OUT/report.html, the build artefact
#
# Settings (environment): NOTEBOOK, NAME, MIN_ACCURACY, MAX_DROP, GREENHOUSE_CI_OUT, and
# greenhouse's own GREENHOUSE_STORE (or GREENHOUSE_INDEX_URL and GREENHOUSE_OBJECTS_URL).
# Exit status: that of the first step that fails; 2 for an unknown step.
set -euo pipefail

NOTEBOOK=${NOTEBOOK:-examples/palmer_penguins/penguins.ipynb}
NAME=${NAME:-penguins}
MIN_ACCURACY=${MIN_ACCURACY:-0.9}
MAX_DROP=${MAX_DROP:-0.02}
OUT=${GREENHOUSE_CI_OUT:-ci-output}
STEPS="papermill run check publish report"

run_id() {
    if [[ ! -s $OUT/run.json ]]; then
        echo "no run to use: the 'run' step comes first and writes $OUT/run.json" >&2
        return 2
    fi
    python -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/run.json"
}

step_papermill() {
    papermill "$NOTEBOOK" "$OUT/papermill.ipynb" --cwd "$(dirname "$NOTEBOOK")"
}

step_run() {
    # The record is written even when the run fails, so that its report can be kept.
    greenhouse run "$NOTEBOOK" --json >"$OUT/run.json"
}

step_check() {
    local run against=() status=0
    run=$(run_id)
    greenhouse verify "$NAME@production" >"$OUT/verify.txt" 2>&1 || status=$?
    case $status in
    0) against=(--against "$NAME@production" --max-drop "accuracy=$MAX_DROP") ;;
    2) echo "no $NAME@production yet: gating on accuracy>=$MIN_ACCURACY alone" ;;
    *)
        cat "$OUT/verify.txt" >&2
        return "$status"
        ;;
    esac
    greenhouse check "$run" --metric "accuracy>=$MIN_ACCURACY" ${against[@]+"${against[@]}"}
}

step_publish() {
    local run
    run=$(run_id)
    greenhouse publish "$run" --name "$NAME" --alias production
}

step_report() {
    # The renderer `greenhouse publish` uses, so a published run's report.html is the same.
    local run
    run=$(run_id)
    python - "$run" "$NAME" "$OUT/report.html" <<'PY'
import json
import sys
from pathlib import Path

from greenhouse_ext.artefacts import render_html
from greenhouse_ext.store import Store

run_id, name, target = sys.argv[1:]
store = Store.open()
run = store.get_run(run_id)
notebook = json.loads(store.get_object(run.output_object))
Path(target).write_bytes(render_html(notebook, title=name, run=run))
print(f"report of run {run.id} ({run.status.value}) written to {target}")
PY
}

if [[ $# -eq 0 ]]; then
    echo "usage: $0 STEP... (steps, in order: $STEPS)" >&2
    exit 2
fi
for step in "$@"; do
    if [[ " $STEPS " != *" $step "* ]]; then
        echo "unknown step '$step': the steps are $STEPS" >&2
        exit 2
    fi
done
mkdir -p "$OUT"
for step in "$@"; do
    echo "== $step"
    "step_$step"
done
