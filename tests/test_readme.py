"""README.md's console blocks, followed in order in a scratch copy of examples/ (real kernels,
the team store on the PostgreSQL and S3 servers of ``services.py``), print what they show."""

from __future__ import annotations

from pathlib import Path

from faults import Ledger
from readme_walk import README, follow, team_addresses
from services import S3, Postgres, service_environment

SESSION = """\
```console
$ cd examples
$ python -c "import uuid; print('run', uuid.uuid4().hex[:12], 'succeeded in 0.25s')"
run 0123456789ab succeeded in 2.71s
$ echo 0123 "$PWD"
0123456789ab /home/alice/project/examples
$ ls train.ipynb \\
    grid.yaml
...
grid.yaml
train.ipynb
$ false   # exit 1
$ echo wrong
right
```
"""


def test_every_console_command_of_the_readme_prints_what_it_shows(
    tmp_path: Path, postgres: Postgres, s3: S3, ledger: Ledger
) -> None:
    addresses = team_addresses(postgres.database(), s3.endpoint_url, s3.bucket(), s3.bucket())
    env = {**service_environment(), "AWS_ENDPOINT_URL": s3.endpoint_url}

    outcome = follow(tmp_path, README.read_text(), addresses, env, write=False)

    ledger.add("readme", "console commands run as written", not outcome.failures)
    assert not outcome.failures, outcome.failures[0]


def test_the_walk_maps_ids_masks_what_varies_and_stops_at_a_wrong_sample(
    tmp_path: Path, ledger: Ledger
) -> None:
    checked = follow(tmp_path / "check", SESSION, {}, {}, write=False)
    pasted = follow(tmp_path / "write", SESSION, {}, {}, write=True)

    [failure] = checked.failures
    held = failure.startswith("README.md line 13: $ echo wrong\n") and "+wrong" in failure
    held &= pasted.readme == SESSION.replace("right\n", "wrong\n")
    ledger.add("readme", "a wrong sample output is caught", held)
    assert held, (failure, pasted.readme)
