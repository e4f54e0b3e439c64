"""Render the pipeline's .sql files and split them into statements for the SQL Gateway.

The files hold ${placeholders} (hosts, topics, time bounds) that the local stack,
the docker compose init service and the tests fill from the same settings
(`rta.templates.fill`: any other '$', as in a regular expression, is left alone).
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable

from rta.pipeline.contract import UNDECODABLE_REASON, violation_sql
from rta.settings import Settings
from rta.templates import fill_file

# Order matters: configuration, then functions and tables, then the one statement set.
SQL_FILES = (
    "00-config.sql",
    "10-tuning.sql",
    "15-functions.sql",
    "20-tables.sql",
    "30-pipeline.sql",
)
JOB_NAME = "rta-pipeline"


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def placeholders(settings: Settings) -> dict[str, str]:
    f, k = settings.flink, settings.kafka
    return {
        "job_name": JOB_NAME,
        "kafka_bootstrap": k.bootstrap,
        "raw_topic": k.raw_topic,
        "dlq_topic": k.dlq_topic,
        "late_topic": k.late_topic,
        "accepted_topic": k.accepted_topic,
        "counts_topic": k.counts_topic,
        "contract_violation": violation_sql(),
        "undecodable_reason": UNDECODABLE_REASON,
        "group_id": f.consumer_group,
        "parallelism": str(f.parallelism),
        "checkpoint_interval": f"{_seconds(f.checkpoint_interval_s)} s",
        "state_backend": f.state_backend,
        "watermark_bound": _seconds(f.watermark_bound_s),
        "watermark_bound_ms": str(round(f.watermark_bound_s * 1000)),
        "late_after_ms": str(round((f.watermark_bound_s + f.allowed_lateness_s) * 1000)),
        "window_lateness": f"{_seconds(f.allowed_lateness_s + 1)} s",
        "idle_timeout": f"{_seconds(f.idle_timeout_s)} s",
        "dedup_horizon": f"{_seconds(f.dedup_horizon_s)} s",
        "session_state_ttl": f"{_seconds(f.session_state_ttl_s)} s",
        # The totals must outlive any quiet period: ten years.
        "counts_state_ttl": "3650 d",
    }


def sql_source(settings: Settings) -> Traversable:
    """Where the .sql files are read: `flink.sql_dir` (compose mounts them), else the package."""
    if settings.flink.sql_dir is not None:
        return settings.flink.sql_dir
    return resources.files("rta.pipeline").joinpath("sql")


def render(settings: Settings, files: tuple[str, ...] = SQL_FILES) -> str:
    values = placeholders(settings)
    parts = []
    for name in files:
        if name == "10-tuning.sql" and not settings.flink.tuned:
            continue
        parts.append(f"-- {name}\n" + fill_file(sql_source(settings).joinpath(name), **values))
    return "\n".join(parts)


_BLOCK_START = re.compile(r"^(EXECUTE\s+)?STATEMENT\s+SET\s+BEGIN\b", re.I | re.S)
_BLOCK_END = re.compile(r"\bEND\s*$", re.I)


def split_statements(text: str) -> list[str]:
    """Split on ';' outside quotes and comments; a STATEMENT SET block stays whole."""
    statements: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == quote:
                if i + 1 < n and text[i + 1] == quote:  # '' escapes a quote
                    buf.append(text[i + 1])
                    i += 1
                else:
                    quote = None
        elif c in "'`\"":
            quote = c
            buf.append(c)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i) and not text.startswith("/*+", i):
            end = text.find("*/", i)
            i = n if end < 0 else end + 2
            continue
        elif c == ";":
            current = "".join(buf).strip()
            if _BLOCK_START.match(current) and not _BLOCK_END.search(current):
                buf.append(c)
            else:
                if current:
                    statements.append(current)
                buf = []
        else:
            buf.append(c)
        i += 1
    rest = "".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements
