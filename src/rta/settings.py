"""Typed settings for every rta component.

Built once at the edge (the CLI) from, in rising priority: defaults, an optional
`rta.toml` in the working directory, and `RTA_*` environment variables (nested
fields use a double underscore, e.g. `RTA_KAFKA__PORT=19092`). Engine modules
receive the frozen object; nothing below reads `os.environ` itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """The Kafka broker: the local one `rta up` starts, or an existing cluster."""

    bootstrap_servers: str | None = Field(
        None, description="Use an existing Kafka cluster instead of starting one locally."
    )
    host: str = Field(
        "127.0.0.1", description="Address the local broker listens on and clients connect to."
    )
    port: int = Field(9092, description="Client listener of the local broker.")
    controller_port: int = Field(9093, description="KRaft controller listener (local broker).")
    heap: str = Field("1g", description="JVM heap of the local broker (-Xmx).")
    raw_topic: str = Field(
        "raw_events",
        description="Topic of incoming events: the generator and replay write it, Flink reads it.",
    )
    dlq_topic: str = Field(
        "raw_events_dlq",
        description="Dead letters: records that break the event contract, with the reason.",
    )
    accepted_topic: str = Field(
        "accepted_events",
        description="Every event the contract accepts, once (Flink writes it, Pinot reads it).",
    )
    late_topic: str = Field("late_events", description="Events later than the allowed lateness.")
    counts_topic: str = Field(
        "pipeline_counts", description="The job's running totals: read, rejected, late."
    )
    partitions: int = Field(4, ge=1, description="Partitions of raw_events and result topics.")
    start_timeout_s: float = Field(
        60.0, description="Seconds to wait for the local broker to answer before giving up."
    )

    @property
    def is_remote(self) -> bool:
        return self.bootstrap_servers is not None

    @property
    def bootstrap(self) -> str:
        return self.bootstrap_servers or f"{self.host}:{self.port}"


class FlinkSettings(_Section):
    """The Flink cluster and the pipeline job: the local cluster or an existing one."""

    rest_url: str | None = Field(
        None, description="Use an existing Flink cluster (its REST URL) instead of a local one."
    )
    host: str = Field(
        "127.0.0.1", description="Address every local Flink process binds to and is reached at."
    )
    rest_port: int = Field(8081, description="REST API and web dashboard of the local cluster.")
    rpc_port: int = Field(6123, description="JobManager RPC port of the local cluster.")
    blob_port: int = Field(6124, description="JobManager blob server port (jars, artefacts).")
    taskmanager_rpc_port: int = Field(6122, description="RPC port of the local TaskManager.")
    taskmanager_data_port: int = Field(
        6121, description="Data exchange (shuffle) port of the local TaskManager."
    )
    gateway_port: int = Field(8083, description="SQL Gateway REST port (job submission).")
    gateway_url: str | None = Field(
        None, description="SQL Gateway of an existing cluster (with rest_url)."
    )
    slots: int = Field(2, ge=1, description="Task slots of the local TaskManager.")
    parallelism: int = Field(2, ge=1, description="Default parallelism of the pipeline job.")
    jobmanager_memory: str = Field(
        "1024m", description="Process memory of the local JobManager (Flink memory size)."
    )
    taskmanager_memory: str = Field(
        "3072m", description="Process memory of the local TaskManager (Flink memory size)."
    )
    # RocksDB by default: the de-duplication state (one entry per event id within the
    # horizon) outgrows any heap on a long run, and the heap backend writes all of it
    # at every checkpoint, busy or idle. The heap is faster per event (docs/pipeline.md).
    state_backend: Literal["rocksdb", "hashmap"] = Field(
        "rocksdb",
        description="Where the job keeps its state: rocksdb (managed memory and local disk, "
        "incremental checkpoints) or hashmap (the TaskManager heap, full checkpoints).",
    )
    consumer_group: str = Field(
        "rta-flink-pipeline", description="Kafka consumer group of the pipeline's source."
    )
    checkpoint_interval_s: float = Field(10.0, gt=0, description="Checkpoint interval.")
    watermark_bound_s: float = Field(5.0, ge=0, description="Allowed out-of-orderness.")
    allowed_lateness_s: float = Field(
        300.0,
        ge=0,
        description="How late (beyond the watermark bound) an event may be and still count "
        "in its window; later ones go to the late topic.",
    )
    # Off: an idle timeout trades exact windows after idleness for progress without
    # traffic on every partition (docs/pipeline.md, "Idleness").
    idle_timeout_s: float = Field(
        0.0, ge=0, description="Source partition idle timeout (0 = a partition never idles)."
    )
    dedup_horizon_s: float = Field(
        3600.0,
        gt=0,
        description="How long event_ids are remembered: a replay within it changes no row.",
    )
    session_state_ttl_s: float = Field(86400.0, gt=0, description="State TTL of session results.")
    tuned: bool = Field(True, description="Apply the measured tuning (false = seed defaults).")
    sql_dir: Path | None = Field(
        None,
        description="Directory of the pipeline's .sql files (default: the ones packaged with rta).",
    )
    start_timeout_s: float = Field(
        120.0,
        description="Seconds to wait for the local cluster (slots, SQL Gateway) before giving up.",
    )

    @property
    def is_remote(self) -> bool:
        return self.rest_url is not None

    @property
    def url(self) -> str:
        return self.rest_url or f"http://{self.host}:{self.rest_port}"

    @property
    def gateway(self) -> str:
        return self.gateway_url or f"http://{self.host}:{self.gateway_port}"


class PinotSettings(_Section):
    """The Pinot cluster and its tables: the local one (with ZooKeeper) or an existing one."""

    controller_url: str | None = Field(
        None, description="Use an existing Pinot cluster (controller URL) instead of a local one."
    )
    broker_url: str | None = Field(None, description="Broker URL of an existing Pinot cluster.")
    host: str = Field(
        "127.0.0.1", description="Address the local ZooKeeper and Pinot roles bind to."
    )
    zookeeper_port: int = Field(2181, description="Client port of the local ZooKeeper.")
    controller_port: int = Field(9000, description="Controller API and query console.")
    broker_port: int = Field(8099, description="Broker query endpoint.")
    server_netty_port: int = Field(
        8098, description="Server query port (Pinot 0.11 binds it on all interfaces)."
    )
    server_admin_port: int = Field(
        8097, description="Server admin API (health and readiness checks)."
    )
    # The server keeps one map entry per raw event (dedup by event_id) and per result
    # key (upsert) on its heap, for good in 0.11: with 2g the old generation was full
    # after 5M events (back-to-back full GCs, docs/deploy.md).
    heap: str = Field(
        "4g",
        description="JVM heap of the Pinot cluster process (grows from 512m as it fills; "
        "the dedup and upsert key maps take ~100 bytes per raw event and result key).",
    )
    zookeeper_heap: str = Field("256m", description="JVM heap of Pinot's local ZooKeeper.")
    cluster_name: str = Field("RTA", description="Pinot cluster name registered in ZooKeeper.")
    kafka_bootstrap: str | None = Field(
        None,
        description="Kafka bootstrap servers as Pinot's servers see them (default: kafka's).",
    )
    replicas: int = Field(1, ge=1, description="Replicas per partition of every table.")
    flush_rows: int = Field(
        500_000,
        ge=1,
        description="Rows per consuming segment before commit, split among the partitions "
        "a server consumes.",
    )
    # session_analytics takes one upsert per event, so with the same threshold its
    # segments fill at the same moment as raw_events' and the server builds both tables'
    # together (only segment_builds at a time): raw_events then stops consuming for its
    # own build plus a wait for the sessions' (docs/performance.md, Freshness).
    session_flush_rows: int = Field(
        1_200_000,
        ge=1,
        description="flush_rows of session_analytics (one row per update); not a multiple "
        "of flush_rows, so that its commits and raw_events' rarely coincide.",
    )
    flush_time: str = Field("1h", description="Longest time a consuming segment stays open.")
    # A table's partitions fill together and stop consuming until their segments are
    # built and committed: on two cores, four builds at once kept each partition
    # stopped for longer than two at a time (docs/performance.md, Freshness).
    segment_builds: int = Field(
        2,
        ge=1,
        description="Segments the local Pinot server builds at a time (Pinot's default: 4); "
        "about the number of cores.",
    )
    tables_dir: Path | None = Field(
        None,
        description="Directory of the table and schema .json files (default: the packaged ones).",
    )
    start_timeout_s: float = Field(
        180.0, description="Seconds to wait for the local cluster to answer before giving up."
    )

    @property
    def is_remote(self) -> bool:
        return self.controller_url is not None

    @property
    def controller(self) -> str:
        return self.controller_url or f"http://{self.host}:{self.controller_port}"

    @property
    def broker(self) -> str:
        return self.broker_url or f"http://{self.host}:{self.broker_port}"


class GeneratorSettings(_Section):
    """Simulated shop traffic (`rta generate`, and the generator of `rta up`)."""

    rate: float = Field(1000.0, ge=0, description="Events per second; 0 = as fast as possible.")
    users: int = Field(
        1_000_000,
        ge=1,
        description="Size of the simulated user population; users are made as they first "
        "visit, so a large one costs nothing up front.",
    )
    products: int = Field(200, ge=1, description="Size of the product catalogue.")
    seed: int | None = Field(
        None,
        description="Seed of users, products and sessions (unset: a random one, printed "
        "in the summary).",
    )


class CollectorSettings(_Section):
    """The HTTP collector (`rta collector`): events from real clients into raw_events."""

    url: str | None = Field(
        None,
        description="Where clients of rta (`rta generate --sink http`) post events, for a "
        "collector elsewhere (default: http://host:port).",
    )
    host: str = Field("127.0.0.1", description="Address the collector listens on.")
    port: int = Field(8000, description="Port of the collector's HTTP API.")
    with_stack: bool = Field(
        True,
        description="Whether `rta up` starts the collector with the stack (and `rta down` "
        "stops it); off, or with `url` set, it runs only as `rta collector`.",
    )
    max_batch: int = Field(1000, ge=1, description="Most events one request may carry.")
    max_body_bytes: int = Field(
        1_048_576, ge=1, description="Largest request body, in bytes (larger: HTTP 413)."
    )
    cors_origins: list[str] = Field(
        [],
        description="Browser origins allowed to post (CORS), as a JSON list in the env var, "
        "e.g. '[\"https://shop.example\"]'; empty: no CORS headers.",
    )
    # At least librdkafka's linger (5 ms here), which message.timeout.ms must exceed.
    produce_timeout_s: float = Field(
        10.0,
        ge=0.1,
        description="Seconds Kafka has to confirm a request's events; later, the request "
        "gets HTTP 503 with Retry-After and none of its events count as accepted.",
    )
    producer_reset_s: float = Field(
        30.0,
        gt=0,
        description="Seconds without one record confirmed by Kafka, while requests fail, "
        "after which the collector replaces its Kafka producer (a producer that lost every "
        "broker during an outage may not find them again).",
    )
    key: SecretStr | None = Field(
        None,
        description="Write key that rta's own clients send (`rta generate --sink http`); "
        "`rta collector keys add NAME` creates one.",
    )

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def endpoint(self) -> str:
        """Base URL of the collector clients talk to."""
        return (self.url or f"http://{self.host}:{self.port}").rstrip("/")


class DashboardSettings(_Section):
    """The live dashboard (`rta dashboard`): the analytics and the pipeline's health."""

    host: str = Field("127.0.0.1", description="Address the dashboard listens on.")
    port: int = Field(8501, description="Port of the dashboard's web page and JSON API.")
    with_stack: bool = Field(
        True,
        description="Whether `rta up` starts the dashboard with the stack (and `rta down` "
        "stops it); off, it runs only as `rta dashboard`.",
    )
    refresh_s: float = Field(
        5.0, ge=1, description="Seconds between the page's refreshes of every panel."
    )
    query_timeout_s: float = Field(
        5.0, gt=0, description="Longest wait for one Pinot query before the panel shows an error."
    )
    probe_timeout_s: float = Field(
        3.0,
        gt=0,
        description="Longest wait for one health probe (Kafka, Flink, collector) of the "
        "pipeline panel.",
    )
    top_products: int = Field(10, ge=1, le=100, description="Products listed by views.")
    sessions: int = Field(50, ge=1, le=1000, description="Recent sessions listed.")

    @property
    def is_remote(self) -> bool:
        return False  # rta's page for rta's stack: nothing to point at elsewhere

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class WatchSettings(_Section):
    """The watch over the local stack's processes: `rta up` in the foreground, or the
    watchdog process a `rta up --detach` leaves running until `rta down`."""

    on_exit: Literal["restart", "stop"] = Field(
        "restart",
        description="What happens when a process of the stack exits: `restart` brings its "
        "component back, with backoff (as docker's `restart: unless-stopped`); `stop` stops "
        "the whole stack and says why.",
    )
    interval_s: float = Field(5.0, gt=0, description="Seconds between checks of every process.")
    max_backoff_s: float = Field(
        60.0,
        gt=0,
        description="Longest wait between two tries of a component that keeps failing to "
        "come back (the wait starts at interval_s and doubles).",
    )


class Settings(BaseSettings):
    """Everything rta needs to know to run the local stack or talk to a remote one."""

    model_config = SettingsConfigDict(
        env_prefix="RTA_",
        env_nested_delimiter="__",
        toml_file="rta.toml",
        frozen=True,
        extra="forbid",
    )

    state_dir: Path = Field(Path(".rta"), description="Data, logs and pid files of the stack.")
    cache_dir: Path = Field(
        Path(".cache/jvm"),
        description="Resolved JVM classpaths written by `make setup`, and the pipeline's "
        "compiled Flink plans.",
    )
    java_home: Path | None = Field(
        None,
        # JAVA_HOME is honoured too, because that is where JVM users set it.
        validation_alias=AliasChoices("RTA_JAVA_HOME", "JAVA_HOME", "java_home"),
        description="JDK for every JVM (RTA_JAVA_HOME, then JAVA_HOME, then `java` on PATH).",
    )
    kafka: KafkaSettings = KafkaSettings()
    flink: FlinkSettings = FlinkSettings()
    pinot: PinotSettings = PinotSettings()
    generator: GeneratorSettings = GeneratorSettings()
    collector: CollectorSettings = CollectorSettings()
    dashboard: DashboardSettings = DashboardSettings()
    watch: WatchSettings = WatchSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls),
        )


# The nested sections of Settings, in declaration order.
SECTIONS = ("kafka", "flink", "pinot", "generator", "collector", "dashboard", "watch")


def load_settings(**overrides: object) -> Settings:
    """Build the settings; keyword overrides win over environment and file."""
    return Settings(**overrides)  # type: ignore[arg-type]


def settings_env(settings: Settings) -> dict[str, str]:
    """RTA_* variables that rebuild these settings in a child process (`rta ...` subprocess)."""
    env: dict[str, str] = {
        "RTA_STATE_DIR": str(settings.state_dir),
        "RTA_CACHE_DIR": str(settings.cache_dir),
    }
    if settings.java_home is not None:
        env["RTA_JAVA_HOME"] = str(settings.java_home)
    for section in SECTIONS:
        for key, value in getattr(settings, section).model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            # pydantic-settings reads lists from the environment as JSON.
            text = json.dumps(value) if isinstance(value, list) else str(value)
            env[f"RTA_{section.upper()}__{key.upper()}"] = text
    return env
