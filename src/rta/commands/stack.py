from __future__ import annotations

import typer

app = typer.Typer(help="Start, stop and inspect the local stack (Kafka; Flink and Pinot to come).",
                  no_args_is_help=True)
