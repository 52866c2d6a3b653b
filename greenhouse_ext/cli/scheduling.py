"""Commands for schedules and schedulers: ``greenhouse schedule ...`` and ``scheduler``."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

import click

from .group import (
    against_option,
    cli,
    kernel_option,
    max_drop_option,
    max_rise_option,
    open_store,
    print_json,
    print_table,
    timeout_option,
    timeout_run_option,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@cli.group("schedule")
def schedule_group() -> None:
    """Schedules: run a notebook or a published version by itself, exactly once per fire time."""


@schedule_group.command("add")
@click.argument("target", metavar="NAME@ALIAS|NAME@N|NOTEBOOK")
@click.option("--cron", metavar="EXPR", help="A cron expression, e.g. '0 6 * * *' (in --tz).")
@click.option("--tz", metavar="ZONE", help="The cron expression's time zone (default UTC).")
@click.option("--every", metavar="DURATION", help="Fire every DURATION instead: 30s, 5m, 1h, 1d.")
@click.option("--name", help="The schedule's name (default: the target's name).")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="A parameter value for every run (repeatable).",
)
@timeout_option
@timeout_run_option
@kernel_option
@click.option("--input", "inputs", multiple=True, help="A data file each run reads (repeatable).")
@click.option(
    "--catch-up",
    default="latest",
    show_default=True,
    metavar="skip|latest|all",
    help="What runs of the fire times missed while no scheduler ran.",
)
@click.option(
    "--catch-up-limit",
    type=int,
    default=10,
    show_default=True,
    help="With --catch-up all: at most this many missed fire times run.",
)
@click.option(
    "--max-concurrent",
    type=int,
    default=1,
    show_default=True,
    help="How many of the schedule's runs may run at once.",
)
@click.option(
    "--overlap",
    default="skip",
    show_default=True,
    metavar="skip|queue",
    help="What a fire time does while --max-concurrent runs still run.",
)
@click.option(
    "--retries",
    type=int,
    default=0,
    show_default=True,
    help="Attempts more after a failure (never after invalid input, a cancellation or a "
    "failed gate).",
)
@click.option(
    "--retry-delay",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds before the first retry, doubled before each next one.",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="EXPR",
    help="A gate, as `greenhouse check --metric`: 'accuracy>=0.9' (repeatable).",
)
@against_option
@max_drop_option
@max_rise_option
@click.option("--publish", metavar="NAME", help="Publish each run whose gates hold as NAME.")
@click.option("--alias", metavar="ALIAS", help="With --publish: point ALIAS at the new version.")
@click.option(
    "--notify",
    multiple=True,
    metavar="URL",
    help="An Apprise URL to alert (repeatable); write credentials as ${VAR}.",
)
@click.option(
    "--notify-on",
    default="failure,recovery,gate",
    show_default=True,
    metavar="EVENTS",
    help="Any of start,success,failure,recovery,gate,duration>SECONDS.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the schedule as JSON.")
@click.pass_context
def add_command(
    ctx: click.Context,
    target: str,
    cron: str | None,
    tz: str | None,
    every: str | None,
    name: str | None,
    parameters: tuple[tuple[str, str], ...],
    inputs: tuple[str, ...],
    as_json: bool,
    **options: Any,
) -> None:
    """Add a schedule of TARGET: a published version (an alias is resolved at each fire
    time) or a notebook file. Everything is checked now; nothing is stored when wrong."""
    from ..scheduling.registration import register
    from ..scheduling.schedules import ScheduleSpec, check_policies, check_timing

    cron, zone, every_s = check_timing(cron, tz, every)
    check_policies(
        options["catch_up"],
        options["catch_up_limit"],
        options["max_concurrent"],
        options["overlap"],
        options["retries"],
        options["retry_delay"],
    )
    fields: dict[str, Any] = dict(options)
    spec = ScheduleSpec(
        cron=cron, tz=zone, every_s=every_s, parameters=dict(parameters), inputs=inputs, **fields
    )
    store = open_store(ctx)
    row = register(store, target, spec, name, _now())
    _print_described(store, row.id, as_json)


@schedule_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the schedules as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """The schedules: when they fire next, their last outcome, paused or not."""
    from ..scheduling.registration import summary

    store = open_store(ctx)
    rows = [summary(store, s, _now()) for s in store.list_schedules()]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["ID", "NAME", "TARGET", "WHEN", "NEXT (UTC)", "LAST", "PAUSED"],
        [
            [
                r["id"],
                r["name"],
                r["target"],
                r["when"],
                (r["next_fire"] or "-")[:19],
                r["last_outcome"] or "-",
                "yes" if r["paused"] else "no",
            ]
            for r in rows
        ],
    )


@schedule_group.command("show")
@click.argument("schedule")
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
@click.pass_context
def show_command(ctx: click.Context, schedule: str, as_json: bool) -> None:
    """A schedule's spec, next 5 fire times, last 20 occurrences with their runs and alerts."""
    store = open_store(ctx)
    _print_described(store, store.get_schedule(schedule).id, as_json)


def _print_described(store: Any, schedule_id: str, as_json: bool) -> None:
    from ..scheduling.registration import describe

    data = describe(store, store.get_schedule(schedule_id), _now())
    if as_json:
        print_json(data)
        return
    click.echo(f"schedule {data['name']} ({data['id']}){'  PAUSED' if data['paused'] else ''}")
    click.echo(f"  target      {data['target']}")
    click.echo(f"  when        {data['when']}")
    spec = data["spec"]
    click.echo(
        f"  policies    catch-up {spec['catch_up']} (limit {spec['catch_up_limit']}), "
        f"max-concurrent {spec['max_concurrent']}, overlap {spec['overlap']}, "
        f"retries {spec['retries']} (delay {spec['retry_delay']:g} s)"
    )
    for url in spec["notify"]:
        click.echo(f"  notify      {url} on {spec['notify_on']}")
    click.echo("  next fire times")
    for moment in data["next_fire_times"]:
        click.echo(f"    {moment['local']}  ({moment['utc']})")
    click.echo("  occurrences" if data["occurrences"] else "  no occurrence yet")
    for o in data["occurrences"]:
        runs = ", ".join(f"{a['run_id']}#{a['number']}" for a in o["attempts"]) or "-"
        reason = f": {o['reason']}" if o["reason"] else ""
        published = (o.get("detail") or {}).get("published")
        ran = f"{o['version'] or ''}, published {published}" if published else o["version"] or ""
        click.echo(f"    {o['fire_at']}  {o['status']}{reason}  runs {runs}  {ran}".rstrip())
        for d in o["deliveries"]:
            state = "delivered" if d["delivered"] else f"failed: {d['error']}"
            click.echo(f"      alert {d['event']} to {d['channel']}: {state}")


@schedule_group.command("pause")
@click.argument("schedule")
@click.option("--json", "as_json", is_flag=True, help="Print the schedule as JSON.")
@click.pass_context
def pause_command(ctx: click.Context, schedule: str, as_json: bool) -> None:
    """Pause a schedule: its fire times are recorded as skipped (paused) until resumed."""
    from ..scheduling.registration import set_paused

    done = set_paused(open_store(ctx), schedule, True, _now())
    _say(done, f"schedule {done['name']} paused", as_json)


@schedule_group.command("resume")
@click.argument("schedule")
@click.option("--json", "as_json", is_flag=True, help="Print the schedule as JSON.")
@click.pass_context
def resume_command(ctx: click.Context, schedule: str, as_json: bool) -> None:
    """Resume a paused schedule."""
    from ..scheduling.registration import set_paused

    done = set_paused(open_store(ctx), schedule, False, _now())
    _say(done, f"schedule {done['name']} resumed", as_json)


@schedule_group.command("trigger")
@click.argument("schedule")
@click.option("--json", "as_json", is_flag=True, help="Print the occurrence as JSON.")
@click.pass_context
def trigger_command(ctx: click.Context, schedule: str, as_json: bool) -> None:
    """Fire a schedule now, as its own occurrence (a running scheduler runs it)."""
    from ..scheduling.registration import fire_now

    store = open_store(ctx)
    name = store.get_schedule(schedule).name
    done = fire_now(store, schedule, _now())
    _say(done, f"schedule {name} triggered: occurrence {done['id']} at {done['fire_at']}", as_json)


@schedule_group.command("remove")
@click.argument("schedule")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@click.pass_context
def remove_command(ctx: click.Context, schedule: str, as_json: bool) -> None:
    """Remove a schedule: it fires no more; its occurrences and runs stay."""
    from ..scheduling.registration import remove

    done = remove(open_store(ctx), schedule, _now())
    _say(done, f"schedule {done['name']} removed (its occurrences and runs stay)", as_json)


def _say(data: dict[str, Any], text: str, as_json: bool) -> None:
    if as_json:
        print_json(data)
    else:
        click.echo(text)


@cli.group("scheduler", invoke_without_command=True)
@click.option(
    "--once", is_flag=True, help="Fire what is due now, follow those runs to their end, exit."
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="On SIGTERM/SIGINT: seconds running runs get to finish before they are cancelled.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds after which another scheduler takes over a silent scheduler's claims.",
)
@click.option(
    "--tick",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between two looks at the store.",
)
@click.pass_context
def scheduler_group(
    ctx: click.Context, once: bool, grace: float, lease: float, tick: float
) -> None:
    """Run schedules in the foreground: one line per event. Any number of schedulers may
    share a store: each occurrence fires once."""
    if ctx.invoked_subcommand is not None:
        return
    from ..scheduling.scheduler import Scheduler, handle_signals

    store = open_store(ctx)
    scheduler = Scheduler(store, lease_s=lease, tick_s=tick, log=_log_line)
    handle_signals(scheduler)
    _log_line(f"scheduler {scheduler.id} started on {store.root}")
    scheduler.run(once=once, grace=grace)
    _log_line(f"scheduler {scheduler.id} stopped")


def _log_line(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


@scheduler_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the schedulers as JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """Each scheduler seen: id, host, pid, last heartbeat, version, stopped or not."""
    rows = open_store(ctx).list_schedulers()
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    print_table(
        ["ID", "HOST", "PID", "HEARTBEAT (UTC)", "VERSION", "STOPPED"],
        [
            [r.id, r.host, str(r.pid), r.heartbeat_at[:19], r.version, (r.stopped_at or "-")[:19]]
            for r in rows
        ],
    )
