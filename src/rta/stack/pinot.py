"""Apache Pinot for the local stack: ZooKeeper plus one JVM running controller, broker and
server (`PinotAdministrator StartServiceManager`), from Maven Central jars (jvm/pinot).

Data lives under <state_dir>/pinot/{zk,controller,server}, logs in
<state_dir>/logs/{zookeeper,pinot}.log. Everything binds 127.0.0.1 except the
server's netty query port, which Pinot 0.11 binds on all interfaces.

With `pinot.controller_url` set nothing starts locally. Tables are not made here but
by `rta.provision`, against whichever controller the settings name.
"""

from __future__ import annotations

import socket

import httpx

from rta.layout import Layout
from rta.settings import Settings
from rta.stack.artifacts import classpath
from rta.stack.component import Component, render_template
from rta.stack.java import Java
from rta.stack.probes import ensure_ports_free, port_open, wait_ready
from rta.stack.process import ServiceProcess

# What Pinot's own pinot-admin.sh passes on Java 9+ (off-heap buffers, reflection).
_JAVA17_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
)
# Grace period for a clean Pinot shutdown before SIGKILL.
PINOT_STOP_TIMEOUT_S = 90.0


def zookeeper_ok(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """ZooKeeper answers the `ruok` four-letter word with `imok`."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(b"ruok")
            return sock.recv(16) == b"imok"
    except OSError:
        return False


class PinotComponent(Component):
    name = "pinot"

    def __init__(self, settings: Settings, java: Java) -> None:
        self.settings = settings
        self.java = java
        self.layout = Layout(settings.state_dir)
        self.home = self.layout.pinot
        self.conf_dir = self.home / "conf"
        self.log4j_file = self.conf_dir / "log4j2.xml"

    def ports(self) -> list[int]:
        p = self.settings.pinot
        return [
            p.zookeeper_port,
            p.controller_port,
            p.broker_port,
            p.server_netty_port,
            p.server_admin_port,
        ]

    def _jvm(self, main: str, *args: str, heap: str, min_heap: str, opens: bool) -> list[str]:
        return [
            str(self.java.executable),
            f"-Xms{min_heap}",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            *(_JAVA17_OPENS if opens else ()),
            f"-Dlog4j2.configurationFile={self.log4j_file.resolve()}",
            "-cp",
            classpath(self.settings.cache_dir, "pinot"),
            main,
            *args,
        ]

    def processes(self) -> list[ServiceProcess]:
        p = self.settings.pinot
        layout = self.layout
        conf = self.conf_dir.resolve()
        zookeeper = ServiceProcess(
            name="zookeeper",
            argv=self._jvm(
                "org.apache.zookeeper.server.ZooKeeperServerMain",
                str(conf / "zoo.cfg"),
                heap=p.zookeeper_heap,
                min_heap=p.zookeeper_heap,
                opens=False,
            ),
            log_file=layout.log_file("zookeeper"),
            pid_file=layout.pid_file("zookeeper"),
            cwd=self.home,
        )
        pinot = ServiceProcess(
            name="pinot",
            argv=self._jvm(
                "org.apache.pinot.tools.admin.PinotAdministrator",
                "StartServiceManager",
                "-clusterName",
                p.cluster_name,
                "-zkAddress",
                f"{p.host}:{p.zookeeper_port}",
                "-port",
                "-1",  # no service-manager REST port; each role has its own
                "-bootstrapConfigPaths",
                str(conf / "controller.conf"),
                str(conf / "broker.conf"),
                str(conf / "server.conf"),
                heap=p.heap,
                min_heap="512m",  # grows to the heap as segments fill
                opens=True,
            ),
            log_file=layout.log_file("pinot"),
            pid_file=layout.pid_file("pinot"),
            cwd=self.home,
        )
        return [zookeeper, pinot]

    def is_running(self) -> bool:
        # Both or nothing: a Pinot without its ZooKeeper (or the reverse) gets started.
        return all(proc.is_running() for proc in self.processes())

    def stop(self, timeout_s: float = 30.0) -> bool:
        # Pinot closes its consuming segments one after the other; a killed Pinot leaves
        # its ZooKeeper sessions behind, and the next start waits ~30 s for them to expire.
        zookeeper, pinot = self.processes()
        stopped = pinot.stop(max(timeout_s, PINOT_STOP_TIMEOUT_S))
        return zookeeper.stop(timeout_s) or stopped

    def _render(self) -> None:
        p = self.settings.pinot
        zk = f"{p.host}:{p.zookeeper_port}"
        common = {"cluster": p.cluster_name, "zk": zk, "host": p.host}
        dirs = {n: (self.home / n).resolve() for n in ("zk", "controller", "server")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        render_template(
            "pinot-zoo.properties",
            self.conf_dir / "zoo.cfg",
            data_dir=dirs["zk"],
            host=p.host,
            port=p.zookeeper_port,
        )
        render_template(
            "pinot-controller.properties",
            self.conf_dir / "controller.conf",
            **common,
            port=p.controller_port,
            data_dir=dirs["controller"] / "data",
            temp_dir=dirs["controller"] / "tmp",
        )
        render_template(
            "pinot-broker.properties", self.conf_dir / "broker.conf", **common, port=p.broker_port
        )
        render_template(
            "pinot-server.properties",
            self.conf_dir / "server.conf",
            **common,
            netty_port=p.server_netty_port,
            admin_port=p.server_admin_port,
            data_dir=dirs["server"] / "data",
            segment_dir=dirs["server"] / "segments",
            segment_builds=p.segment_builds,
        )
        render_template("pinot-log4j2.xml", self.log4j_file, root_level="info")

    def start(self) -> None:
        p = self.settings.pinot
        zookeeper, pinot = self.processes()
        zk_ports = [p.zookeeper_port]
        pinot_ports = [port for port in self.ports() if port != p.zookeeper_port]
        ensure_ports_free(
            "Pinot",
            p.host,
            (zk_ports if not zookeeper.is_running() else [])
            + (pinot_ports if not pinot.is_running() else []),
        )
        self._render()
        if not zookeeper.is_running():
            zookeeper.start()
            wait_ready(
                zookeeper,
                lambda: zookeeper_ok(p.host, p.zookeeper_port),
                timeout_s=60,
                what=f"ZooKeeper answered on {p.host}:{p.zookeeper_port}",
            )
        if not pinot.is_running():
            pinot.start()
            wait_ready(
                pinot,
                self._cluster_ready,
                timeout_s=p.start_timeout_s,
                what=f"the Pinot cluster answered (controller {p.controller}, broker {p.broker})",
                interval_s=0.5,
            )

    def _cluster_ready(self) -> bool:
        """Controller, broker and server are up, and every existing table answers a query."""
        p = self.settings.pinot
        with httpx.Client(timeout=2.0) as http:
            for url in (
                f"{p.controller}/health",
                f"{p.broker}/health",
                f"http://{p.host}:{p.server_admin_port}/health/readiness",
            ):
                if http.get(url).status_code != 200:
                    return False
        # The server's readiness says OK a moment before its netty query port is bound.
        if not port_open(p.host, p.server_netty_port):
            return False
        return _tables_answer(p.controller, p.broker)


def _tables_answer(controller: str, broker: str) -> bool:
    """Every table the controller knows answers a query: after a restart, a table whose
    segments are still loading fails it."""
    with httpx.Client(timeout=10.0) as http:
        tables = http.get(f"{controller}/tables").json().get("tables", [])
        for table in tables:
            resp = http.post(f"{broker}/query/sql", json={"sql": f"SELECT COUNT(*) FROM {table}"})
            if resp.status_code != 200 or resp.json().get("exceptions"):
                return False
    return True
