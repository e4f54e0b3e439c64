"""The local Flink cluster: JobManager, one TaskManager and the SQL Gateway.

The distribution comes from the apache-flink wheel (bin/, lib/, opt/); the jars it
lacks (Kafka connector, SQL Gateway) come from jvm/flink/pom.xml. Nothing is written
into site-packages: the cluster gets its own conf, lib and opt directories of symlinks.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import httpx

from rta.layout import Layout
from rta.settings import Settings
from rta.stack.artifacts import lib_dir
from rta.stack.component import Component, render_template
from rta.stack.errors import ArtifactsMissingError
from rta.stack.java import Java
from rta.stack.probes import ensure_ports_free, wait_ready
from rta.stack.process import ServiceProcess

# rta's SQL functions, built by `make setup` from jvm/flink/src into flink-lib.
FUNCTIONS_JAR = "rta-flink-functions.jar"


def flink_home() -> Path:
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        raise ArtifactsMissingError(
            "The Flink distribution (apache-flink wheel) is not installed. Run `make setup`."
        )
    return Path(next(iter(spec.submodule_search_locations)))


class FlinkComponent(Component):
    name = "flink"

    def __init__(self, settings: Settings, java: Java) -> None:
        self.settings = settings
        self.java = java
        self.layout = Layout(settings.state_dir)
        self.home = self.layout.flink
        self.conf_dir = self.home / "conf"

    def ports(self) -> list[int]:
        f = self.settings.flink
        return [
            f.rest_port,
            f.rpc_port,
            f.blob_port,
            f.taskmanager_rpc_port,
            f.taskmanager_data_port,
            f.gateway_port,
        ]

    def _env(self) -> dict[str, str]:
        return {
            "JAVA_HOME": str(self.java.home),
            "FLINK_HOME": str(flink_home()),
            "FLINK_CONF_DIR": str(self.conf_dir),
            "FLINK_LIB_DIR": str(self.home / "lib"),
            "FLINK_OPT_DIR": str(self.home / "opt"),
            "FLINK_LOG_DIR": str(self.home / "log"),
            "FLINK_PID_DIR": str(self.home / "run"),
        }

    def processes(self) -> list[ServiceProcess]:
        bin_dir = flink_home() / "bin"
        layout = self.layout

        def proc(name: str, script: str) -> ServiceProcess:
            return ServiceProcess(
                name=name,
                # start-foreground execs the JVM, so the pid we record is the JVM itself.
                argv=["bash", str(bin_dir / script), "start-foreground"],
                log_file=layout.log_file(name),
                pid_file=layout.pid_file(name),
                cwd=self.home,
                env=self._env(),
            )

        return [
            proc("flink-jobmanager", "jobmanager.sh"),
            proc("flink-taskmanager", "taskmanager.sh"),
            proc("flink-sql-gateway", "sql-gateway.sh"),
        ]

    def _prepare(self) -> None:
        dist = flink_home()
        for sub in ("conf", "lib", "opt", "log", "run", "tmp", "checkpoints", "savepoints"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        cache = self.settings.cache_dir
        # The pipeline's SQL calls rta's functions (15-functions.sql).
        lib = lib_dir(cache, "flink-lib", required=(FUNCTIONS_JAR,))
        self._link_dir(self.home / "lib", [dist / "lib", lib])
        self._link_dir(self.home / "opt", [dist / "opt", lib_dir(cache, "flink-opt")])
        for name in ("log4j-console.properties", "log4j-cli.properties", "log4j.properties"):
            shutil.copyfile(dist / "conf" / name, self.conf_dir / name)
        f = self.settings.flink
        render_template(
            "flink-config.yaml",
            self.conf_dir / "config.yaml",
            host=f.host,
            home=self.home,
            rpc_port=f.rpc_port,
            rest_port=f.rest_port,
            blob_port=f.blob_port,
            taskmanager_rpc_port=f.taskmanager_rpc_port,
            taskmanager_data_port=f.taskmanager_data_port,
            gateway_port=f.gateway_port,
            slots=f.slots,
            parallelism=f.parallelism,
            jobmanager_memory=f.jobmanager_memory,
            taskmanager_memory=f.taskmanager_memory,
            # Flink's default fraction for RocksDB.
            managed_fraction="0.4" if f.state_backend == "rocksdb" else "0.05",
            java_opts=self._wheel_java_opts(dist),
        )

    @staticmethod
    def _wheel_java_opts(dist: Path) -> str:
        # The JDK 17 --add-opens list that Flink itself ships; keep it in step with the wheel.
        text = (dist / "conf" / "config.yaml").read_text()
        match = re.search(r"^\s*(?:env\.java\.opts\.all|all):\s*(--add-.*)$", text, re.M)
        return match.group(1).strip() if match else ""

    @staticmethod
    def _link_dir(target: Path, sources: list[Path]) -> None:
        for old in target.iterdir():
            old.unlink()
        for src in sources:
            for jar in sorted(src.glob("*.jar")):
                (target / jar.name).symlink_to(jar.resolve())

    def start(self) -> None:
        f = self.settings.flink
        ensure_ports_free("Flink", f.host, self.ports())
        self._prepare()
        jm, tm, gw = self.processes()
        for proc in (jm, tm, gw):
            proc.start()
        with httpx.Client(timeout=2.0) as http:

            def cluster_ready() -> bool:
                overview = http.get(f"{f.url}/overview").json()
                return bool(overview.get("slots-total", 0) >= f.slots)

            wait_ready(jm, cluster_ready, timeout_s=f.start_timeout_s, what="TaskManager slots")
            wait_ready(tm, cluster_ready, timeout_s=5, what="TaskManager registered")
            wait_ready(
                gw,
                lambda: http.get(f"{f.gateway}/v3/info").status_code == 200,
                timeout_s=f.start_timeout_s,
                what=f"SQL Gateway answered on {f.gateway}",
            )
