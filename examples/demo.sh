#!/usr/bin/env bash
# `make demo`: the penguins example from a first run to a gated, published, verified and
# reproduced version, then operated by schedules that fire once and alert. Runs in
# examples/ with the store examples/.greenhouse (the one `make lab` shows) and copies
# published versions to examples/published/.
set -euo pipefail
cd "$(dirname "$0")"
export GREENHOUSE_STORE="$PWD/.greenhouse"
NOTEBOOK=palmer_penguins/penguins.ipynb
PUBLISHED="file://$PWD/published"

step() {
    printf '\n== %s\n' "$1"
}

# Print the command as it could be typed again, then run it.
show() {
    printf '$'
    for word in "$@"; do
        if [[ $word =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then printf ' %s' "$word"; else printf " '%s'" "$word"; fi
    done
    printf '\n'
    "$@"
}

# Commands print their record with --json; the walk needs a field of it.
field() {
    python -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

step "1. Run the notebook with its defaults (a random forest)"
first=$(greenhouse run "$NOTEBOOK" --json | field id)
show greenhouse show "$first"

step "2. Run it again with other values (logistic regression, a larger test split)"
second=$(greenhouse run "$NOTEBOOK" -p model logistic_regression -p test_size 0.3 --json | field id)
show greenhouse show "$second"

step "3. What changed between the two runs"
show greenhouse diff "$first" "$second" --no-color

step "4. Publish the first run as penguins@production, with a copy in $PUBLISHED"
number=$(greenhouse publish "$first" --name penguins --alias production --to "$PUBLISHED" --json |
    field number)
show greenhouse versions penguins

step "5. Gate the second run: accuracy at least 0.9, and at most 0.05 below production's"
show greenhouse check "$second" --metric 'accuracy>=0.9' \
    --against penguins@production --max-drop accuracy=0.05

step "6. Verify production: every file against its sha256, in the store and in the copy"
show greenhouse verify penguins@production
show greenhouse verify penguins@production --at "$PUBLISHED"

step "7. Reproduce production from its stored source"
show greenhouse reproduce penguins@production

step "8. Monitor drift: the penguins of 2009 against production's training data"
drift=$(greenhouse run palmer_penguins/drift.ipynb -p batch_year 2009 --json | field id)
show greenhouse check "$drift" --metric 'max_psi<=0.25' --metric 'drifted_features==0'

step "9. Operate: a nightly retrain publishing penguins@candidate, an hourly drift check"
# A local webhook stands in for Slack or e-mail: it prints each alert it receives.
coproc receiver { exec python -u operate/alert_receiver.py "$PWD/.greenhouse/alerts.jsonl"; }
receiver_pid=$receiver_PID
read -r notify_url <&"${receiver[0]}"
trap 'kill "$receiver_pid" 2>/dev/null || true' EXIT
for name in nightly-retrain drift-check; do
    if greenhouse schedule show "$name" >/dev/null 2>&1; then
        greenhouse schedule remove "$name"
    fi
done
show operate/schedules.sh "$notify_url"
show greenhouse schedule trigger nightly-retrain
show greenhouse schedule trigger drift-check
show greenhouse scheduler --once
show greenhouse schedule list
show greenhouse schedule show nightly-retrain
show greenhouse versions penguins
kill "$receiver_pid"
printf 'alerts received:\n'
python -c 'import json, sys; [print(" ", json.loads(line)["title"]) for line in open(sys.argv[1])]' \
    "$PWD/.greenhouse/alerts.jsonl"

printf '\nThe published HTML report of penguins@%s:\n%s\n' "$number" \
    "$PWD/published/penguins/$number/report.html"
