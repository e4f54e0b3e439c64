"""deploy/docker-compose.yml, correct by construction (there is no Docker engine here).

The file is validated against the Compose Specification's JSON schema, and checked
against the rest of the repository: mounted paths exist, image tags are exact and
equal the pins (jvm/pom.xml, pyproject.toml), ports and names agree with the local
stack's settings, and the commands the rta containers run are real `rta` commands.
The remote mode those commands rely on is proven end to end by
tests/integration/test_remote_mode.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from rta.kafka.topics import topic_specs
from rta.pinot.admin import TABLES, render_tables
from rta.pipeline.script import render
from rta.settings import (
    CollectorSettings,
    DashboardSettings,
    FlinkSettings,
    GeneratorSettings,
    KafkaSettings,
    PinotSettings,
    Settings,
    load_settings,
)
from rta.stack import supervisor

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_FILE = DEPLOY / ".env"
DOCKERFILES = {"rta": DEPLOY / "rta.Dockerfile", "flink": DEPLOY / "flink.Dockerfile"}

# Long-running services that nothing probes from inside: the one-shot set-up and the
# event source. Every other service has a health check.
WITHOUT_HEALTHCHECK = {"rta-init", "generator"}
SCALABLE = {"taskmanager", "pinot-server"}


# --- loading ------------------------------------------------------------------------


def _env_file() -> dict[str, str]:
    values = {}
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


_VAR = re.compile(r"\$(?:\$|\{(\w+)(?::-([^}]*))?\})")


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation: ${VAR}, ${VAR:-default}, and $$ for a literal $."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            name, default = m.group(1), m.group(2)
            if env.get(name):
                return env[name]
            assert default is not None, f"${{{name}}} has no default and is not in .env"
            return default

        return _VAR.sub(sub, value)
    return value


@cache
def _raw() -> dict[str, Any]:
    return YAML(typ="safe").load(COMPOSE_FILE.read_text())  # type: ignore[no-any-return]


def _compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose model as `docker compose config` would see it (with .env, or `env`)."""
    return _interpolate(_raw(), _env_file() if env is None else env)  # type: ignore[no-any-return]


def _services() -> dict[str, dict[str, Any]]:
    return _compose()["services"]  # type: ignore[no-any-return]


@cache
def _pins() -> dict[str, str]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(REPO / "jvm" / "pom.xml").getroot().find("m:properties", ns)
    assert props is not None
    return {el.tag.split("}")[1]: (el.text or "").strip() for el in props}


@cache
def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _dockerfile_images(path: Path) -> list[str]:
    """FROM images of a Dockerfile with its ARG defaults substituted (stage names dropped)."""
    text = path.read_text()
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.M))
    images = []
    for ref in re.findall(r"^FROM\s+(\S+)", text, re.M):
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], ref)
        images.append(image)
    return images


def _dockerfile_arg(path: Path, name: str) -> str:
    match = re.search(rf"^ARG\s+{name}=(\S+)", path.read_text(), re.M)
    assert match, f"{path.name}: no ARG {name}=<default>"
    return match.group(1)


def _tag(image: str) -> str:
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{image}: no tag"
    return tag


def _host_ports(service: dict[str, Any]) -> dict[int, int]:
    """Published host port -> container port."""
    out = {}
    for spec in service.get("ports", []):
        host, _, container = str(spec).rpartition(":")
        out[int(host)] = int(container)
    return out


def _rta_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _services().items() if s.get("image", "").startswith("rta:")}


# --- the Compose Specification --------------------------------------------------------


@cache
def _compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text())  # type: ignore[no-any-return]


def _schema_errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(_compose_schema())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def test_compose_file_follows_the_compose_specification() -> None:
    assert _schema_errors(_raw()) == []
    assert _schema_errors(_compose()) == []


def test_the_schema_check_rejects_a_broken_file() -> None:
    # The schema really bites: a misspelt key or a wrong type is reported.
    doc = _compose()
    doc["services"]["kafka"]["helthcheck"] = doc["services"]["kafka"]["healthcheck"]
    doc["services"]["jobmanager"]["ports"] = "8081:8081"
    errors = _schema_errors(doc)
    assert any("helthcheck" in e for e in errors), errors
    assert any(e.startswith("services/jobmanager/ports") for e in errors), errors


# --- mounts, images, versions ----------------------------------------------------------


def test_every_bind_mount_exists_in_the_repo() -> None:
    binds = []
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                kind, source = volume["type"], volume["source"]
            else:
                source = str(volume).split(":")[0]
                kind = "bind" if source.startswith((".", "/")) else "volume"
            if kind == "bind":
                path = (DEPLOY / source).resolve()
                assert path.exists(), f"{name}: mounted {source} does not exist ({path})"
                assert REPO in path.parents, f"{name}: {source} lies outside the repository"
                binds.append(path)
            else:
                assert source in _compose()["volumes"], f"{name}: volume {source} not declared"
    # The definitions are mounted, never copied: the init service reads the repo's files.
    assert REPO / "src/rta/pipeline/sql" in binds
    assert REPO / "src/rta/pinot/tables" in binds


def test_build_contexts_and_dockerfiles_exist() -> None:
    for name, service in _services().items():
        build = service.get("build")
        if build is None:
            continue
        context = (DEPLOY / build["context"]).resolve()
        assert context == REPO, f"{name}: build context should be the repository root"
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
        # BuildKit reads <Dockerfile>.dockerignore: .venv and .cache stay out of the context.
        assert Path(f"{dockerfile}.dockerignore").is_file()
        for arg, value in build.get("args", {}).items():
            assert _dockerfile_arg(dockerfile, arg) == str(value), f"{name}: build arg {arg}"


def _all_images() -> list[str]:
    images = [s["image"] for s in _services().values()]
    for path in DOCKERFILES.values():
        images += _dockerfile_images(path)
    return images


def test_no_image_uses_a_floating_tag() -> None:
    for image in _all_images():
        tag = _tag(image)
        assert "@sha256:" not in image
        assert tag != "latest", image
        # An exact release: major.minor.patch (optionally v-prefixed, with a variant).
        assert re.match(r"^v?\d+\.\d+\.\d+(-[\w.-]+)?$", tag), f"{image}: not an exact version"


def test_image_versions_equal_the_pins() -> None:
    pins = _pins()
    services = _services()
    assert services["kafka"]["image"] == f"apache/kafka:{pins['kafka.version']}"
    for name in ("pinot-controller", "pinot-broker", "pinot-server"):
        assert services[name]["image"] == f"apachepinot/pinot:{pins['pinot.version']}"
    flink = pins["flink.version"]
    for name in ("jobmanager", "taskmanager", "sql-gateway"):
        assert services[name]["image"] == f"rta-flink:{flink}"
        assert services[name]["build"]["args"]["FLINK_VERSION"] == flink
    assert _dockerfile_arg(DOCKERFILES["flink"], "FLINK_VERSION") == flink
    assert f"flink:{flink}-scala_2.12-java17" in _dockerfile_images(DOCKERFILES["flink"])
    version = _pyproject()["project"]["version"]
    for name in _rta_services():
        assert services[name]["image"] == f"rta:{version}"


def test_the_kafka_connector_comes_from_the_pinned_pom() -> None:
    # No second copy of the connector version: the image resolves jvm/flink/pom.xml,
    # whose dependency is ${flink.kafka.connector.version} from jvm/pom.xml.
    dockerfile = DOCKERFILES["flink"].read_text()
    assert "mvn" in dockerfile and "-f jvm/flink/pom.xml" in dockerfile
    assert "flink-lib/ /opt/flink/lib/" in dockerfile
    assert not re.search(r"https?://", dockerfile), "jars come from Maven, not a URL"
    flink_pom = (REPO / "jvm/flink/pom.xml").read_text()
    assert "<artifactId>flink-sql-connector-kafka</artifactId>" in flink_pom
    assert "<version>${flink.kafka.connector.version}</version>" in flink_pom
    assert _pins()["flink.kafka.connector.version"]


def test_python_image_matches_requires_python() -> None:
    requires = _pyproject()["project"]["requires-python"]  # ">=3.11,<3.12"
    low = re.search(r">=\s*(\d+)\.(\d+)", requires)
    high = re.search(r"<\s*(\d+)\.(\d+)", requires)
    assert low and high
    (image,) = _dockerfile_images(DOCKERFILES["rta"])
    major, minor = map(int, _tag(image).split(".")[:2])
    assert (int(low[1]), int(low[2])) <= (major, minor) < (int(high[1]), int(high[2]))
    assert _services()["rta-init"]["build"]["args"]["PYTHON_VERSION"] == _dockerfile_arg(
        DOCKERFILES["rta"], "PYTHON_VERSION"
    )


def test_zookeeper_image_matches_pinots_zookeeper() -> None:
    # Pinot 0.11 is built against ZooKeeper 3.5.x; the resolved classpath says which.
    cp = REPO / ".cache/jvm/pinot.classpath"
    if not cp.exists():
        pytest.skip("no resolved Pinot classpath (make setup)")
    jar = re.search(r"/zookeeper-(\d+\.\d+\.\d+)\.jar", cp.read_text())
    assert jar, "no zookeeper jar on Pinot's classpath"
    assert _services()["pinot-zookeeper"]["image"] == f"zookeeper:{jar[1]}"


# --- ports, names, settings -------------------------------------------------------------


def test_published_ports_agree_with_the_local_stack() -> None:
    k, f, p = KafkaSettings(), FlinkSettings(), PinotSettings()
    services = _services()
    assert k.port in _host_ports(services["kafka"])
    assert _host_ports(services["jobmanager"]) == {f.rest_port: f.rest_port}
    assert _host_ports(services["sql-gateway"]) == {f.gateway_port: f.gateway_port}
    assert _host_ports(services["pinot-controller"]) == {p.controller_port: p.controller_port}
    assert _host_ports(services["pinot-broker"]) == {p.broker_port: p.broker_port}
    assert _host_ports(services["kafka-ui"]) == {8080: 8080}
    # No two services publish the same host port.
    published = [port for s in services.values() for port in _host_ports(s)]
    assert len(published) == len(set(published))


def test_kafka_listeners_serve_containers_and_host() -> None:
    env = _services()["kafka"]["environment"]
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    rta_env = _services()["rta-init"]["environment"]
    # Containers use the internal listener, which is what rta (and so the Flink SQL and
    # Pinot's table configs) is told; host clients use localhost:<local stack's port>.
    assert advertised["INTERNAL"] == rta_env["RTA_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    external = advertised["EXTERNAL"]
    assert external == f"localhost:{KafkaSettings().port}"
    container_port = _host_ports(_services()["kafka"])[KafkaSettings().port]
    assert f"EXTERNAL://:{container_port}" in env["KAFKA_LISTENERS"]


def _compose_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for key in [k for k in os.environ if k.startswith("RTA_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(DEPLOY)  # no rta.toml there
    return load_settings()


def test_rta_environment_is_valid_remote_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    services = _services()
    rta = _rta_services()
    assert set(rta) >= {"rta-init", "generator"}
    envs = [s["environment"] for s in rta.values()]
    assert all(e == envs[0] for e in envs), "every rta container gets the same settings"
    # Settings forbid unknown fields, so a misspelt RTA_* variable fails here.
    s = _compose_settings(monkeypatch, envs[0])
    assert s.kafka.is_remote and s.flink.is_remote and s.pinot.is_remote
    assert s.flink.url == "http://jobmanager:8081"
    assert s.flink.gateway == "http://sql-gateway:8083"
    assert s.pinot.controller == "http://pinot-controller:9000"
    assert s.pinot.broker == "http://pinot-broker:8099"
    for url in (s.flink.url, s.flink.gateway, s.pinot.controller, s.pinot.broker):
        host, _port = url.removeprefix("http://").split(":")
        assert host in services, f"{url}: no service {host}"
    # Each URL's port is the one that service listens on (and publishes, if it does).
    assert 8081 in _host_ports(services["jobmanager"]).values()
    assert 8083 in _host_ports(services["sql-gateway"]).values()
    assert "-controllerPort 9000" in services["pinot-controller"]["command"]
    assert "-brokerPort 8099" in services["pinot-broker"]["command"]
    # Topic names and scale knobs are the local stack's.
    local = Settings()
    assert (s.kafka.raw_topic, s.kafka.dlq_topic) == (local.kafka.raw_topic, local.kafka.dlq_topic)
    assert s.kafka.partitions == local.kafka.partitions
    assert s.flink.parallelism == local.flink.parallelism
    assert s.pinot.replicas == local.pinot.replicas


def test_mounted_definitions_drive_the_same_topics_and_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = dict(_rta_services()["rta-init"]["environment"])
    # Point the mount targets at their sources in the repo, as the container sees them.
    mounts = {v["target"]: (DEPLOY / v["source"]).resolve() for v in _raw_rta_volumes()}
    env["RTA_FLINK__SQL_DIR"] = str(mounts[env["RTA_FLINK__SQL_DIR"]])
    env["RTA_PINOT__TABLES_DIR"] = str(mounts[env["RTA_PINOT__TABLES_DIR"]])
    s = _compose_settings(monkeypatch, env)
    topics = {t.name for t in topic_specs(s)}
    assert topics == {t.name for t in topic_specs(Settings())}
    tables = render_tables(s)
    assert [t.name for t in tables] == list(TABLES)
    for t in tables:
        assert t.topic in topics
        stream = t.table["tableIndexConfig"]["streamConfigs"]
        assert stream["stream.kafka.broker.list"] == "kafka:9092"
        assert stream["stream.kafka.topic.name"] == t.topic
    sql = render(s)
    assert "'properties.bootstrap.servers' = 'kafka:9092'" in sql
    assert f"'topic' = '{s.kafka.raw_topic}'" in sql
    # The mounted files are the packaged ones: same text, rendered the same way.
    packaged = s.model_copy(
        update={
            "flink": s.flink.model_copy(update={"sql_dir": None}),
            "pinot": s.pinot.model_copy(update={"tables_dir": None}),
        }
    )
    assert render(packaged) == sql
    assert render_tables(packaged) == tables


def _raw_rta_volumes() -> list[dict[str, Any]]:
    return list(_rta_services()["rta-init"]["volumes"])


def test_sql_and_tables_dirs_are_read(tmp_path: Path) -> None:
    # The settings really switch the source: a changed copy shows up in the output.
    sql_dir = tmp_path / "sql"
    tables_dir = tmp_path / "tables"
    sql_dir.mkdir()
    tables_dir.mkdir()
    for f in resources.files("rta.pipeline").joinpath("sql").iterdir():
        if f.name.endswith(".sql"):
            (sql_dir / f.name).write_text(f.read_text())
    (sql_dir / "00-config.sql").write_text("SET 'x' = '${job_name}';\n")
    for f in resources.files("rta.pinot").joinpath("tables").iterdir():
        if f.name.endswith(".json"):
            (tables_dir / f.name).write_text(f.read_text())
    schema = tables_dir / "raw_events.schema.json"
    schema.write_text(schema.read_text().replace('"raw_events"', '"raw_events_copy"', 1))
    s = Settings(flink=FlinkSettings(sql_dir=sql_dir), pinot=PinotSettings(tables_dir=tables_dir))
    assert "SET 'x' = 'rta-pipeline';" in render(s)
    assert render_tables(s)[0].schema["schemaName"] == "raw_events_copy"


# --- services ---------------------------------------------------------------------------


def test_init_and_generator_run_real_rta_commands() -> None:
    rta = _rta_services()
    assert rta["rta-init"]["command"] == ["provision"], "the init is exactly `rta provision`"
    for name, service in rta.items():
        argv = [str(a) for a in service["command"]]
        out = subprocess.run(
            [sys.executable, "-m", "rta", *argv, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(REPO), "COLUMNS": "120"},
            cwd=DEPLOY,
        )
        assert out.returncode == 0, f"{name}: rta {' '.join(argv)} --help\n{out.stderr}"
        assert "Usage: rta" in out.stdout


def test_rta_dockerfile_runs_rta() -> None:
    text = DOCKERFILES["rta"].read_text()
    assert 'ENTRYPOINT ["rta"]' in text
    assert "pip install ." in text


def test_health_checks_limits_and_ordered_start() -> None:
    services = _services()
    for name, service in services.items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("memory"), f"{name}: no memory limit"
        if name not in WITHOUT_HEALTHCHECK:
            assert service.get("healthcheck", {}).get("test"), f"{name}: no health check"
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for target, cond in depends.items():
            assert target in services
            condition = cond["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no"
            else:
                assert condition == "service_started"
    # The set-up waits for every engine it talks to.
    init = services["rta-init"]["depends_on"]
    for engine in ("kafka", "jobmanager", "sql-gateway", "pinot-controller", "pinot-broker"):
        assert init[engine]["condition"] == "service_healthy"
    assert services["generator"]["depends_on"]["rta-init"] == {
        "condition": "service_completed_successfully"
    }


def test_scalable_services_can_be_scaled() -> None:
    for name in SCALABLE:
        service = _services()[name]
        assert "container_name" not in service, f"{name}: a fixed name prevents --scale"
        assert not service.get("ports"), f"{name}: a published port prevents --scale"
        assert "hostname" not in service


def test_named_volumes_for_state() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    used = {
        str(v).split(":")[0]
        for s in compose["services"].values()
        for v in s.get("volumes", [])
        if not isinstance(v, dict)
    }
    assert used == declared
    assert {"kafka-data", "flink-state", "pinot-controller-data"} <= declared


def test_flink_properties_are_consistent() -> None:
    props = {}
    for line in _services()["jobmanager"]["environment"]["FLINK_PROPERTIES"].splitlines():
        key, _, value = line.partition(":")
        props[key.strip()] = value.strip()
    f = FlinkSettings()
    assert int(props["taskmanager.numberOfTaskSlots"]) == f.slots
    assert int(props["parallelism.default"]) == f.parallelism
    assert props["rest.port"] == str(f.rest_port)
    # The job picks its state backend (00-config.sql); the cluster must not pin one.
    assert "state.backend.type" not in props
    # Checkpoints on the shared volume, kept on cancel so that a job can be resumed.
    assert props["execution.checkpointing.dir"].startswith("file:///opt/flink/state/")
    assert props["execution.checkpointing.externalized-checkpoint-retention"] == (
        "RETAIN_ON_CANCELLATION"
    )
    for name in ("jobmanager", "taskmanager", "sql-gateway"):
        env = _services()[name]["environment"]
        assert (
            env["FLINK_PROPERTIES"] == _services()["jobmanager"]["environment"]["FLINK_PROPERTIES"]
        )
        assert env["JOB_MANAGER_RPC_ADDRESS"] == "jobmanager"
    for name in ("jobmanager", "taskmanager"):
        assert "flink-state:/opt/flink/state" in _services()[name]["volumes"]


def test_env_file_defaults_agree_with_compose_and_settings() -> None:
    env = _env_file()
    # Without .env, the file's own ${VAR:-default}s give the same model.
    assert _compose({}) == _compose(env)
    assert int(env["KAFKA_PARTITIONS"]) == KafkaSettings().partitions
    assert int(env["FLINK_PARALLELISM"]) == FlinkSettings().parallelism
    assert int(env["FLINK_TASK_SLOTS"]) == FlinkSettings().slots
    assert env["FLINK_STATE_BACKEND"] == FlinkSettings().state_backend
    assert int(env["PINOT_REPLICAS"]) == PinotSettings().replicas
    assert float(env["GENERATOR_RATE"]) == GeneratorSettings().rate
    # Every variable the compose file reads is documented in .env.
    used = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    assert used == set(env)


def test_remote_components_start_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_java(*_: object) -> None:
        raise AssertionError("a remote component looked for Java")

    monkeypatch.setattr(supervisor, "find_java", no_java)
    s = Settings(
        state_dir=tmp_path,
        kafka=KafkaSettings(bootstrap_servers="kafka:9092"),
        flink=FlinkSettings(rest_url="http://jobmanager:8081", gateway_url="http://gw:8083"),
        pinot=PinotSettings(controller_url="http://pinot-controller:9000"),
        collector=CollectorSettings(url="http://collector:8000"),
        dashboard=DashboardSettings(with_stack=False),
    )
    assert supervisor.components(s) == []
    # Each engine is still provisioned, on its remote endpoint.
    seen: list[str] = []
    results = supervisor.up(s, on_ready=lambda engine: seen.append(engine) or ())
    assert seen[0] == "kafka" and sorted(seen[1:]) == ["collector", "flink", "pinot"]
    assert [r.action for r in results] == ["remote"] * 4
    assert supervisor.down(s) == []
    # Without a collector URL, rta up runs one here, against the remote Kafka, and the
    # dashboard too, unless told not to.
    local = s.model_copy(
        update={"collector": CollectorSettings(), "dashboard": DashboardSettings()}
    )
    assert [c.name for c in supervisor.components(local)] == ["collector", "dashboard"]


def test_docs_describe_the_deployment() -> None:
    guide = (REPO / "docs/deploy.md").read_text()
    readme = (DEPLOY / "README.md").read_text()
    for knob in _env_file():
        assert knob in guide, f"docs/deploy.md does not explain {knob}"
    for name in _services():
        assert name in readme, f"deploy/README.md does not mention the {name} service"
    for word in ("FlinkDeployment", "Strimzi", "helm", "replicasPerPartition"):
        assert word in guide
    assert "Distributed deployment" in (REPO / "README.md").read_text()
