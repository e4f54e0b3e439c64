-- Job-wide settings that the results depend on. Rendered by rta.pipeline.script:
-- placeholders in braces are filled from rta's settings.
SET 'pipeline.name' = '${job_name}';
SET 'execution.runtime-mode' = 'streaming';
SET 'parallelism.default' = '${parallelism}';
-- Windows align to UTC minutes and EXTRACT(EPOCH ...) below reads UTC wall clocks.
SET 'table.local-time-zone' = 'UTC';
-- Exactly-once state: results are rebuilt from the last checkpoint after a failure.
SET 'execution.checkpointing.interval' = '${checkpoint_interval}';
SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
-- Default state TTL = how long an event_id is remembered for de-duplication. The
-- session aggregation overrides it with a STATE_TTL hint (30-pipeline.sql).
SET 'table.exec.state.ttl' = '${dedup_horizon}';
-- A partition without traffic must not hold every window open forever.
SET 'table.exec.source.idle-timeout' = '${idle_timeout}';
-- Plan the shared de-duplication once for all three queries instead of once per query.
SET 'table.optimizer.reuse-optimize-block-with-digest-enabled' = 'true';
