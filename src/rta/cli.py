"""`rta`: the command-line entry point. Each command lives in rta.commands.<name>
and only parses options before calling a plain function, so both sides can be
tested on their own."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from rta import log
from rta.commands import collector as collector_cmd
from rta.commands import config as config_cmd
from rta.commands import dashboard as dashboard_cmd
from rta.commands import generate as generate_cmd
from rta.commands import logs as logs_cmd
from rta.commands import pipeline as pipeline_cmd
from rta.commands import provision as provision_cmd
from rta.commands import query as query_cmd
from rta.commands import replay as replay_cmd
from rta.commands import report as report_cmd
from rta.commands import reset as reset_cmd
from rta.commands import schema as schema_cmd
from rta.commands import stack as stack_cmd
from rta.commands import status as status_cmd
from rta.commands import up as up_cmd
from rta.commands import watch as watch_cmd
from rta.errors import RtaError
from rta.layout import Layout
from rta.settings import load_settings

app = typer.Typer(
    name="rta",
    help=(
        "Real-time user-behaviour analytics: events -> Kafka -> Flink SQL -> Pinot.\n\n"
        "Settings come from defaults, ./rta.toml and RTA_* environment variables "
        "(nested with '__', e.g. RTA_KAFKA__PORT=19092)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _load(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Also show the log lines of client libraries (Kafka client, HTTP) on "
            "stderr, from INFO on; without it their warnings go only to "
            "<RTA_STATE_DIR>/logs/rta.log (no env var).",
        ),
    ] = False,
) -> None:
    try:
        ctx.obj = load_settings()
    except ValidationError as exc:
        typer.secho(f"rta: invalid settings:\n{exc}", err=True, fg="red")
        raise typer.Exit(2) from None
    log.configure(verbose, Layout(ctx.obj.state_dir).log_file("rta"))


app.command("up")(up_cmd.up)
app.command("down")(up_cmd.down)
app.command("status")(status_cmd.status)
app.command("logs")(logs_cmd.logs)
app.command("reset")(reset_cmd.reset)
app.command("config")(config_cmd.config)
app.command("schema")(schema_cmd.schema)
app.command("query")(query_cmd.query)
app.command("report")(report_cmd.report)
app.command("provision")(provision_cmd.provision_command)
app.add_typer(stack_cmd.aliases(status_cmd.status), name="stack")
app.add_typer(pipeline_cmd.app, name="pipeline")
app.command("generate")(generate_cmd.generate)
app.command("replay")(replay_cmd.replay)
app.add_typer(collector_cmd.app, name="collector")
app.command("dashboard")(dashboard_cmd.dashboard)
# The detached stack's watchdog process (rta.watchdog), started by `rta up --detach`.
app.command("watch", hidden=True)(watch_cmd.watch)


def main(argv: list[str] | None = None) -> None:
    """Run `rta` (argv: the arguments, default sys.argv[1:]).

    Every RtaError a command lets through ends here: one red line on stderr, the log
    to read when the error names one, and the error's exit code. Typer itself still
    handles --help, usage errors (2), typer.Exit and Ctrl-C (130).
    """
    try:
        app(args=argv, prog_name="rta")
    except RtaError as exc:
        typer.secho(f"rta: {exc}", err=True, fg="red")
        if exc.log is not None:
            typer.secho(f"Full log: {exc.log}", err=True)
        raise SystemExit(exc.exit_code) from None


if __name__ == "__main__":
    main()
