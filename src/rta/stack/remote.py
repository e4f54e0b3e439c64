"""Remote Kafka and Flink: nothing to start or stop, but rta's set-up still goes there.

With `kafka.bootstrap_servers` or `flink.rest_url` set, `rta stack up` starts no
process for that component; it checks that the remote service answers, then does
the same idempotent set-up as for a local one: topics on the remote Kafka, the
pipeline job on the remote Flink (through its SQL Gateway, `flink.gateway_url`).
Together with `RemotePinot` (rta.stack.pinot) this is what the docker compose init
service runs: `rta stack up` with every component remote.
"""

from __future__ import annotations

import httpx
from confluent_kafka import KafkaException

from rta.kafka.client import make_admin
from rta.kafka.topics import ensure_topics, topic_specs
from rta.pipeline.submit import submit
from rta.settings import Settings
from rta.stack.component import Component
from rta.stack.errors import StackError, StartupError
from rta.stack.process import ServiceProcess


class _Remote(Component):
    """A service that runs elsewhere: no ports, no processes, never stopped by rta."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ports(self) -> list[int]:
        return []

    def processes(self) -> list[ServiceProcess]:
        return []

    def stop(self, timeout_s: float = 30.0) -> bool:
        return False


class RemoteKafka(_Remote):
    name = "kafka (remote)"

    def is_running(self) -> bool:
        try:
            return bool(make_admin(self.settings).list_topics(timeout=10).brokers)
        except KafkaException:
            return False

    def start(self) -> None:
        raise StartupError(
            f"the remote Kafka at {self.settings.kafka.bootstrap} does not answer "
            "(RTA_KAFKA__BOOTSTRAP_SERVERS); start that cluster, or unset it to run Kafka locally."
        )

    def after_start(self) -> list[str]:
        try:
            return ensure_topics(make_admin(self.settings), topic_specs(self.settings))
        except KafkaException as exc:
            raise StackError(f"Kafka topics at {self.settings.kafka.bootstrap}: {exc}") from None


class RemoteFlink(_Remote):
    name = "flink (remote)"

    def is_running(self) -> bool:
        f = self.settings.flink
        try:
            with httpx.Client(timeout=5.0) as http:
                return (
                    http.get(f"{f.url}/overview").status_code == 200
                    and http.get(f"{f.gateway}/v3/info").status_code == 200
                )
        except httpx.TransportError:
            return False

    def start(self) -> None:
        f = self.settings.flink
        raise StartupError(
            f"the remote Flink cluster does not answer (REST {f.url}, SQL Gateway {f.gateway}; "
            "RTA_FLINK__REST_URL, RTA_FLINK__GATEWAY_URL); start it, or unset them to run "
            "Flink locally."
        )

    def after_start(self) -> list[str]:
        sub = submit(self.settings)
        if sub.action == "already running":
            return []
        extra = f" from {sub.restored_from}" if sub.restored_from else ""
        return [f"pipeline {sub.action}{extra} (job {sub.job_id})"]
