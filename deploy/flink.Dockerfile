# syntax=docker/dockerfile:1
# Flink's official image plus what rta's pipeline needs on the classpath: the Kafka
# SQL connector and rta's SQL functions (rta-flink-functions.jar, built from
# jvm/flink/src). Both come from jvm/flink/pom.xml, the same pom that `make setup`
# builds for the local stack, so the connector's version is the pin
# flink.kafka.connector.version in jvm/pom.xml, and nothing is fetched by URL.
# (The image is the full Flink distribution: bin/sql-gateway.sh and the SQL Gateway
# jar in opt/ are already there.)
# FLINK_VERSION's default equals flink.version in jvm/pom.xml (checked by
# tests/unit/test_compose.py). Built from the repository root (context ..).
ARG FLINK_VERSION=2.2.1
ARG MAVEN_IMAGE=maven:3.9.9-eclipse-temurin-17

FROM ${MAVEN_IMAGE} AS jars
WORKDIR /build
COPY jvm/ ./jvm/
RUN mvn -q -B -f jvm/flink/pom.xml package -Drta.cache=/jars

FROM flink:${FLINK_VERSION}-scala_2.12-java17
COPY --from=jars --chown=flink:flink /jars/flink-lib/ /opt/flink/lib/
# Checkpoints and savepoints go to the flink-state volume, shared by the JobManager
# and every TaskManager; created here so that the volume starts owned by flink.
USER root
RUN mkdir -p /opt/flink/state/checkpoints /opt/flink/state/savepoints \
    && chown -R flink:flink /opt/flink/state
USER flink
