"""The ``twin`` command line.

Exit codes: 0 success, 2 bad input (every problem printed as ``file:line: message``),
1 internal error (``--debug`` shows the traceback).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import time
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from twin import __version__
from twin.problems import ClusterError, ProblemList

# No emoji codes (``file:100:`` would print as an emoji) and no markup in what the user wrote: every
# file name, id and message from the inputs goes through ``escape`` (or ``markup=False``).
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
out_console = Console(highlight=False, soft_wrap=True, emoji=False)

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def _report_problems(error: ProblemList) -> None:
    for problem in error.problems:
        err_console.print(f"[red]{escape(str(problem))}[/red]", soft_wrap=True)
    n = len(error.problems)
    err_console.print(f"{n} problem{'s' if n != 1 else ''} found; nothing was run.")


def handle_errors(func):
    """Map exceptions to exit codes and one-line messages (tracebacks only with --debug)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        from twin.reports.writer import ReportFolderError
        try:
            return func(*args, **kwargs)
        except ProblemList as exc:
            if debug:
                traceback.print_exc()
            _report_problems(exc)
            ctx.exit(EXIT_INPUT)
        except (ReportFolderError, ClusterError) as exc:  # the user's to fix: the message says how
            if debug:
                traceback.print_exc()
            err_console.print(f"[red]{escape(str(exc))}[/red]")
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted; no report was written[/yellow]")
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # an internal error: a bug, not the user's input
            if debug:
                traceback.print_exc()
            err_console.print(f"[red]internal error: {type(exc).__name__}: {escape(str(exc))}[/red]\n"
                              "run again with --debug for the traceback, and please report it")
            ctx.exit(EXIT_INTERNAL)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twin")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
def cli(debug: bool) -> None:
    """twin: a supply chain digital twin for disruption stress testing."""


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report folder (default: reports/<scenario>-<timestamp>).")
@click.option("--replications", type=click.IntRange(min=1), default=None, help="Override the scenario's replications.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override the scenario's seed.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace the report folder if it exists.")
@click.option("--set", "settings", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a network or scenario value (repeatable), e.g. "
                   "--set network.nodes.dc-joliet.policy.service_level=0.99")
@click.option("--dask", "use_dask", is_flag=True, help="Run replications as tasks on a local Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run replications on the Dask cluster at this address (tcp://host:port).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run into the same --out: finished replications are kept.")
@click.option("--animate", is_flag=True,
              help="Also write flows.mp4 into the report: the scenario's flows, replication 0 (see twin animate).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--no-review", is_flag=True, help="Do not write the review page (write it later with twin review).")
@handle_errors
def run(scenario: Path, out, replications, seed, workers, overwrite, settings, use_dask, scheduler, resume,
        animate, quiet, no_review) -> None:
    """Simulate baseline, SCENARIO and its mitigations on common random numbers and write the report."""
    from twin.run import run_scenario
    from twin.scenario import load_scenario
    from twin.summary import print_summary

    if resume and out is None:
        raise click.UsageError("--resume needs --out (the folder of the interrupted run)")
    if scheduler and workers is not None:
        raise click.UsageError("--workers sizes a run on this machine; with --scheduler the cluster's own workers "
                               "run the replications: leave out --workers (or --scheduler)")
    loading = (contextlib.nullcontext() if quiet
               else err_console.status(f"Loading {escape(str(scenario))} and its network"))
    with loading:
        loaded = load_scenario(scenario, settings)
    total = replications or loaded.spec.replications
    with Progress(*_RUN_COLUMNS, console=err_console, disable=quiet, transient=False) as bar:
        runs = bar.add_task(loaded.name, total=total, unit="replications")
        days = bar.add_task("  days of this replication", total=1, unit="days", visible=False)
        shown = {"at": 0.0}  # when the days bar was last moved

        def replication_done(done: int, _total: int) -> None:
            bar.update(runs, completed=done)
            bar.reset(days, visible=False)  # (a new replication's days start from 0, with their own ETA)

        def day_done(n: int, per_replication: int) -> None:  # a replication run here: its days move a bar
            now = time.monotonic()
            if now - shown["at"] >= 0.1 or n == per_replication:  # (the bar redraws 10 times a second)
                shown["at"] = now
                bar.update(days, total=per_replication, completed=n, visible=True)

        def phase(name: str) -> None:
            bar.update(runs, description=f"{loaded.name}: {name}")
            if name != "simulating":
                bar.update(days, visible=False)

        report = run_scenario(scenario, out=out, replications=replications, seed=seed, workers=workers,
                              overwrite=overwrite, scenario=loaded, settings=settings, dask=use_dask,
                              scheduler=scheduler, resume=resume, review=not no_review,
                              progress=replication_done, on_day=day_done, on_phase=phase,
                              animation=_animation_options() if animate else None)
        bar.update(runs, description=loaded.name)
    if not quiet:
        print_summary(report, out_console)
    else:
        out_console.print(str(report.path), markup=False)


#: Columns of ``twin run``'s progress: replications done, and the days of a replication run here.
_RUN_COLUMNS = (TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())


def _animation_options(**values):
    from twin.animation.options import AnimationOptions
    return AnimationOptions(**values)


def _parse_days(_ctx, _param, value):
    if value is None:
        return None
    from twin.animation.options import parse_days
    try:
        return parse_days(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_size(_ctx, _param, value):
    from twin.animation.options import parse_size
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--variant", default="scenario", show_default=True,
              help="Variant to replay: scenario, baseline, a mitigation's name, or both (baseline and scenario "
                   "side by side).")
@click.option("--replication", type=click.IntRange(min=0), default=0, show_default=True,
              help="Replication to replay.")
@click.option("--days", metavar="A:B", default=None, callback=_parse_days,
              help="First and last day shown (A:, :B allowed; default: the whole horizon).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output file, .mp4 (H.264) or .gif (default: REPORT/flows.mp4).")
@click.option("--fps", type=click.IntRange(1, 120), default=30, show_default=True, help="Video frames per second.")
@click.option("--frames-per-day", type=click.IntRange(1, 240), default=10, show_default=True,
              help="Frames per simulated day (a day plays in frames-per-day / fps seconds).")
@click.option("--size", default="1280x720", show_default=True, callback=_parse_size, metavar="WIDTHxHEIGHT",
              help="Frame size in pixels (even numbers).")
@click.option("--labels", type=click.Choice(["auto", "all", "major", "none"]), default="auto", show_default=True,
              help="Node labels: all, major (suppliers, hubs, DCs), none; auto = all up to 30 stores.")
@click.option("--sweep-value", type=float, default=None,
              help="With a sweep: the swept value to replay (default: the first).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes drawing frames (default: the cores, at least 150 frames each).")
@click.option("--quiet", is_flag=True, help="Print only the output path.")
@handle_errors
def animate(report: Path, variant, replication, days, out, fps, frames_per_day, size, labels, sweep_value, workers,
            quiet) -> None:
    """Replay the flows of a REPORT folder as an animated map (MP4 or GIF)."""
    from twin.animation import render_animation

    options = _animation_options(variant=variant, replication=replication, days=days, fps=fps,
                                 frames_per_day=frames_per_day, width=size[0], height=size[1], labels=labels,
                                 sweep_value=sweep_value)
    result = render_animation(report, out, options, workers=workers)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning: {escape(str(warning))}[/yellow]")
    if quiet:
        out_console.print(str(result.path), markup=False)
    else:
        out_console.print(f"wrote {escape(str(result.path))}: {result.frames} frames "
                          f"(days {result.first_day}-{result.last_day}, "
                          f"{result.width}x{result.height}, {result.fps} fps) in {result.seconds:.1f} s "
                          f"with {result.workers} worker{'s' if result.workers != 1 else ''}")


def _kinds(value: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in value.split(",") if k.strip())


@cli.command()
@click.argument("network", type=click.Path(path_type=Path))
@click.option("--kinds", default="supplier,hub,dc", show_default=True,
              help="Node kinds to close in turn, comma-separated (supplier, hub, dc, store).")
@click.option("--ttr-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time to recover of every node (default: each node's ttr_days in the network file).")
@click.option("--horizon-days", type=click.IntRange(min=1), default=42, show_default=True,
              help="Days simulated after the warm-up; closures start on the first of them, and time to survive "
                   "is searched up to this many days.")
@click.option("--warmup-days", type=click.IntRange(min=0), default=14, show_default=True, help="Warm-up days.")
@click.option("--replications", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--tts-threshold", type=click.FloatRange(min=0, max=1, min_open=True), default=0.01, show_default=True,
              help="Largest daily drop of the network fill rate (a fraction; paired mean over replications) a "
                   "closure may cause and still count as survived.")
@click.option("--fill-rate-threshold", type=click.FloatRange(min=0, max=1, min_open=True), default=0.95,
              show_default=True, help="Fill rate below which a store's day counts as a day below threshold.")
@click.option("--impact", type=click.Choice(["lost_margin_usd", "profit_at_risk_usd", "lost_sales_units"]),
              default="lost_margin_usd", show_default=True, help="What ranks the nodes (risk exposure index).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report folder (default: reports/stress-<network>-<timestamp>).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace the report folder if it exists.")
@click.option("--quiet", is_flag=True, help="No progress and no summary.")
@click.option("--no-review", is_flag=True, help="Do not write the review page (write it later with twin review).")
@handle_errors
def stress(network: Path, kinds, ttr_days, horizon_days, warmup_days, replications, seed, tts_threshold,
           fill_rate_threshold, impact, out, workers, overwrite, quiet, no_review) -> None:
    """Close each supplier, hub and DC of NETWORK in turn for its time to recover; rank nodes by risk exposure.

    Writes stress.parquet (ranking, time to survive vs time to recover), the run tables of every closure,
    and the review page.
    """
    from twin.stress import StressOptions, run_stress

    options = StressOptions(kinds=_kinds(kinds), ttr_days=ttr_days, horizon_days=horizon_days,
                            warmup_days=warmup_days, replications=replications, seed=seed,
                            tts_threshold=tts_threshold, fill_rate_threshold=fill_rate_threshold, impact=impact)
    columns = [TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
               TextColumn("replications"), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, disable=quiet, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done)

        report = run_stress(network, out=out, options=options, workers=workers, overwrite=overwrite,
                            progress=progress, review=not no_review)
    if quiet:
        out_console.print(str(report.path), markup=False)
        return
    from twin.summary import print_stress_summary
    print_stress_summary(report, out_console)


@cli.command()
@click.argument("report_dir", type=click.Path(path_type=Path))
@handle_errors
def review(report_dir: Path) -> None:
    """Write review.html and review.md into REPORT_DIR (a folder written by twin run or twin stress)."""
    from twin.review import write_review

    page, summary = write_review(report_dir)
    out_console.print(f"[green]wrote[/green] {escape(str(page))} and {escape(str(summary))}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--set", "settings", multiple=True, metavar="KEY.PATH=VALUE",
              help="Overrides to check with the scenario files (repeatable).")
@handle_errors
def validate(files: tuple[Path, ...], settings: tuple[str, ...]) -> None:
    """Check network and scenario FILES without running them; print every problem."""
    from twin.network import load_network
    from twin.problems import Problem
    from twin.scenario import load_scenario
    from twin.yamlio import kind_of, load_yaml

    problems: list[Problem] = []
    checked = []
    for path in files:
        try:
            kind = kind_of(load_yaml(path).data, mixed=True)
            if kind == "scenario":
                scenario = load_scenario(path, settings)
                extra = ""
                if scenario.spec.mitigations:
                    extra += f", {len(scenario.spec.mitigations)} mitigation(s)"
                if scenario.sweep_key:
                    extra += f", sweep of {scenario.sweep_key} over {len(scenario.sweep_values)} values"
                checked.append(f"{path}: scenario '{scenario.name}' on network '{scenario.model.name}' "
                               f"({scenario.model.n_nodes} nodes, {scenario.model.n_skus} SKUs), "
                               f"{len(scenario.spec.disruptions)} disruption(s){extra}")
            elif kind == "network":
                model = load_network(path)
                checked.append(f"{path}: network '{model.name}' ({model.n_nodes} nodes, {model.n_skus} SKUs, "
                               f"{len(model.lanes)} lanes)")
            else:
                problems.append(Problem(str(path), 1, "neither a network (needs 'nodes') nor a scenario "
                                                      "(needs 'network' and 'horizon_days', or 'extends')"))
        except ProblemList as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemList(problems)
    for line in checked:
        out_console.print(f"[green]ok[/green] {escape(line)}")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write the network into.")
@click.option("--stores", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--skus", type=click.IntRange(min=1), default=50_000, show_default=True)
@click.option("--dcs", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--hubs", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--suppliers", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--horizon-days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Horizon of the baseline scenario written next to the network.")
@click.option("--cities", type=click.Path(path_type=Path), default=None,
              help="CSV of cities (name,state,latitude,longitude,population); default: GeoNames' 500 largest "
                   "US cities from the shared data folder.")
@click.option("--overwrite", is_flag=True, help="Replace the folder if it exists.")
@handle_errors
def generate(out: Path, stores, skus, dcs, hubs, suppliers, seed, horizon_days, cities, overwrite) -> None:
    """Write a synthetic retail network on real US cities (deterministic for a seed)."""
    from twin.generate import generate as make
    from twin.reports.writer import atomic_folder

    with atomic_folder(out, overwrite=overwrite) as tmp:
        make(tmp, stores=stores, skus=skus, dcs=dcs, hubs=hubs, suppliers=suppliers, seed=seed,
             cities_path=cities, horizon_days=horizon_days)
    out_console.print(f"wrote {escape(str(out))}/network.yaml ({stores} stores x {skus} SKUs = {stores * skus:,} "
                      f"SKU-locations) and {escape(str(out))}/baseline.yaml")


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="twin", standalone_mode=True)  # exits
    finally:
        # The process ends here. Python's last garbage collection at exit would walk every
        # object still alive (those of pandas, pyarrow and matplotlib, and of a large run):
        # up to a second of nothing. Exit handlers still run; the memory goes with the process.
        gc.freeze()


if __name__ == "__main__":
    main()
