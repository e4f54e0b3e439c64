-- rta's SQL functions: the event contract's id and timestamp checks, written by hand
-- in Java (jvm/flink/src/main/java/dev/rta/flink; `make setup` builds
-- rta-flink-functions.jar into Flink's lib/, and deploy/flink.Dockerfile into the
-- image's). The contract runs twice per record on the source's thread (its
-- watermark and its projection), where REGEXP and UNIX_TIMESTAMP took over half of
-- that thread's time (docs/performance.md). Each accepts exactly what its pattern in
-- rta.events accepts; tests/integration/test_flink_functions.py holds them to it.
--
-- RTA_IS_UUID(s)     s is a UUID in canonical lowercase form (UUID_PATTERN).
-- RTA_IS_RFC3339(s)  s has TIMESTAMP_PATTERN's layout (days up to 31 in any month).
-- RTA_EPOCH_MS(s)    the instant in epoch milliseconds (offset applied, fraction
--                    truncated), NULL unless s has that layout and its day exists.
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS RTA_IS_UUID AS 'dev.rta.flink.IsUuid' LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS RTA_IS_RFC3339 AS 'dev.rta.flink.IsRfc3339' LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS RTA_EPOCH_MS AS 'dev.rta.flink.EpochMs' LANGUAGE JAVA;
