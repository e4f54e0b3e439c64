"""Set rta up on running engines: Kafka topics, then Pinot tables, then the Flink job.

Provisioning knows endpoints, not processes: it runs against whatever the settings
name, a local stack that `rta up` has just started or remote clusters (the docker
compose init service runs `rta provision`). Every step is idempotent and says what it
changed, so running it again on a provisioned stack changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from confluent_kafka import KafkaException

from rta.errors import ServiceError
from rta.kafka.client import make_admin
from rta.kafka.topics import ensure_topics, topic_specs
from rta.pinot.admin import PinotAdmin, PinotAdminError, apply_tables
from rta.pipeline.gateway import GatewayError, SqlGateway
from rta.pipeline.jobs import FlinkRest, FlinkRestError
from rta.pipeline.submit import submit
from rta.settings import Settings

Part = Literal["topics", "tables", "pipeline"]
# In dependency order: tables consume the topics, the job reads and writes them.
PARTS: tuple[Part, ...] = ("topics", "tables", "pipeline")
# Which engine each part is made on; `rta up` provisions a part once its engine is up.
ENGINE: dict[Part, str] = {"topics": "kafka", "tables": "pinot", "pipeline": "flink"}


class ProvisionError(ServiceError):
    """An engine did not answer, or refused rta's topics, tables or job."""


@dataclass(frozen=True)
class Provisioned:
    part: Part
    changes: tuple[str, ...]
    seconds: float


def provision(
    settings: Settings,
    parts: Sequence[Part] = PARTS,
    notify: Callable[[str], None] = lambda _: None,
) -> list[Provisioned]:
    """Make `parts` (all by default, in dependency order) on the engines the settings name."""
    done = []
    for part in PARTS:
        if part in parts:
            notify(f"setting up {part} on {ENGINE[part]}")
            started = time.monotonic()
            changes = _STEPS[part](settings)
            done.append(Provisioned(part, tuple(changes), time.monotonic() - started))
    return done


def _topics(settings: Settings) -> list[str]:
    k = settings.kafka
    try:
        admin = make_admin(settings)
        if not admin.list_topics(timeout=10).brokers:
            raise KafkaException(f"no broker answered at {k.bootstrap}")
        return ensure_topics(admin, topic_specs(settings))
    except KafkaException as exc:
        where = "RTA_KAFKA__BOOTSTRAP_SERVERS" if k.is_remote else "the local broker"
        raise ProvisionError(f"Kafka topics at {k.bootstrap} ({where}): {exc}") from None


def _tables(settings: Settings) -> list[str]:
    p = settings.pinot
    with PinotAdmin(p.controller, timeout_s=5.0) as admin:
        if not admin.healthy():
            raise ProvisionError(
                f"the Pinot controller at {p.controller} does not answer"
                + (" (RTA_PINOT__CONTROLLER_URL)" if p.is_remote else "")
            )
    try:
        return apply_tables(settings)
    except PinotAdminError as exc:
        raise ProvisionError(f"Pinot tables: {exc}") from None


def _pipeline(settings: Settings) -> list[str]:
    f = settings.flink
    try:
        with FlinkRest(f.url, timeout_s=5.0) as rest:
            rest.jobs_overview()
        with SqlGateway(f.gateway, timeout_s=5.0) as gateway:
            gateway.request("GET", "/v3/info")
    except (FlinkRestError, GatewayError) as exc:
        hint = "; RTA_FLINK__REST_URL, RTA_FLINK__GATEWAY_URL" if f.is_remote else ""
        raise ProvisionError(
            f"the Flink cluster does not answer (REST {f.url}, SQL Gateway {f.gateway}{hint}): "
            f"{exc}"
        ) from None
    try:
        sub = submit(settings)
    except (GatewayError, FlinkRestError) as exc:
        raise ProvisionError(f"the pipeline job: {exc}") from None
    if sub.action == "already running":
        return []
    extra = f" from {sub.restored_from}" if sub.restored_from else ""
    return [f"pipeline {sub.action}{extra} (job {sub.job_id})"]


_STEPS: dict[Part, Callable[[Settings], list[str]]] = {
    "topics": _topics,
    "tables": _tables,
    "pipeline": _pipeline,
}
