#!/usr/bin/env bash
# The penguins model, operated: a nightly retrain of penguins@production on the data of
# the day, published as penguins@candidate when its gates hold, and an hourly drift check
# of the new penguins against production's training data, which alerts when it drifts.
# Usage: examples/operate/schedules.sh [NOTIFY-URL]  (an Apprise URL such as
# json://host/path or mailto://..., with credentials written as ${VAR}).
set -euo pipefail
cd "$(dirname "$0")/.."
notify=()
retrain_notify=()
if [[ $# -gt 0 ]]; then
    notify=(--notify "$1")
    retrain_notify=(--notify "$1" --notify-on success,failure,gate)
fi

greenhouse schedule add penguins@production --name nightly-retrain \
    --cron '0 2 * * *' --tz Europe/London \
    --check 'accuracy>=0.9' --against penguins@production --max-drop accuracy=0.05 \
    --publish penguins --alias candidate \
    --retries 2 --retry-delay 300 --timeout-run 1800 \
    "${retrain_notify[@]}"

greenhouse schedule add palmer_penguins/drift.ipynb --name drift-check --every 1h \
    --check 'max_psi<=0.25' --check 'drifted_features==0' \
    --catch-up latest --timeout-run 600 \
    "${notify[@]}"
