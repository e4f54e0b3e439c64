"""The local Kafka broker: one KRaft node (broker + controller) from Maven Central jars."""

from __future__ import annotations

import base64
import subprocess
import uuid

from confluent_kafka.admin import AdminClient

from rta.kafka.client import make_admin
from rta.layout import Layout
from rta.settings import Settings
from rta.stack.artifacts import classpath
from rta.stack.component import Component, render_template
from rta.stack.errors import StartupError
from rta.stack.java import Java
from rta.stack.probes import ensure_ports_free, port_open, wait_ready
from rta.stack.process import ServiceProcess


class KafkaComponent(Component):
    name = "kafka"

    def __init__(self, settings: Settings, java: Java) -> None:
        self.settings = settings
        self.java = java
        self.layout = Layout(settings.state_dir)
        self.home = self.layout.kafka
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"
        self.log4j_file = self.home / "log4j2.properties"

    def ports(self) -> list[int]:
        return [self.settings.kafka.port, self.settings.kafka.controller_port]

    def _jvm(self, main: str, *args: str, heap: str | None = None) -> list[str]:
        argv = [str(self.java.executable)]
        if heap:
            argv += [f"-Xms{heap}", f"-Xmx{heap}"]
        argv += [
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_file.resolve()}",
            "-cp",
            classpath(self.settings.cache_dir, "kafka"),
            main,
            *args,
        ]
        return argv

    def processes(self) -> list[ServiceProcess]:
        k = self.settings.kafka
        return [
            ServiceProcess(
                name="kafka",
                argv=self._jvm("kafka.Kafka", str(self.config_file.resolve()), heap=k.heap),
                log_file=self.layout.log_file("kafka"),
                pid_file=self.layout.pid_file("kafka"),
                cwd=self.home,
            )
        ]

    def _render(self) -> None:
        k = self.settings.kafka
        render_template(
            "kafka-server.properties",
            self.config_file,
            host=k.host,
            port=k.port,
            controller_port=k.controller_port,
            data_dir=self.data_dir.resolve(),
            partitions=k.partitions,
        )
        render_template("log4j2.properties", self.log4j_file, root_level="INFO")

    def _format_storage(self) -> None:
        """Format the KRaft log directory once; a formatted one is reused (data survives)."""
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = _cluster_id()
        argv = self._jvm(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.config_file.resolve()),
            "--standalone",
        )
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise StartupError(
                f"Formatting Kafka storage in {self.data_dir} failed (exit {out.returncode}):\n"
                + (out.stderr or out.stdout)[-2000:]
            )

    def start(self) -> None:
        k = self.settings.kafka
        ensure_ports_free("Kafka", k.host, self.ports())
        self.home.mkdir(parents=True, exist_ok=True)
        self._render()
        self._format_storage()
        (proc,) = self.processes()
        proc.start()
        admins: list[AdminClient] = []

        def answers() -> bool:
            # Only build the client once the port is open: librdkafka logs every refused connect.
            if not port_open(k.host, k.port):
                return False
            if not admins:
                admins.append(make_admin(self.settings))
            return bool(admins[0].list_topics(timeout=2).brokers)

        wait_ready(
            proc,
            answers,
            timeout_s=k.start_timeout_s,
            what=f"the broker answered on {k.bootstrap}",
        )


def _cluster_id() -> str:
    """A random KRaft cluster id (URL-safe base64 of 16 bytes), as Kafka's Uuid makes them.

    Like Kafka's own Uuid.randomUuid(), never one starting with '-': the storage tool
    would read it as an option ("argument --cluster-id/-t: expected one argument").
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
