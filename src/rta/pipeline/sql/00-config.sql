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
-- The job picks its state backend, so the local cluster and any other one run it the
-- same way. With RocksDB a checkpoint uploads only the files written since the last
-- one (the heap backend ignores 'incremental' and writes all its state every time).
SET 'state.backend.type' = '${state_backend}';
SET 'execution.checkpointing.incremental' = 'true';
-- Default state TTL = how long an event_id is remembered for de-duplication. The
-- session aggregation overrides it with a STATE_TTL hint (30-pipeline.sql).
SET 'table.exec.state.ttl' = '${dedup_horizon}';
-- Off by default (0 s): a partition without traffic holds the windows back until it
-- gets some, which every rta producer ensures (keys are session ids). With a timeout,
-- a burst after idleness can push the watermark past partitions read a moment later,
-- and the window operator drops their events (docs/pipeline.md, "Idleness").
SET 'table.exec.source.idle-timeout' = '${idle_timeout}';
-- Late events within the allowed lateness update their window in place. Which events
-- count is decided before the windows (30-pipeline.sql, per partition); the window
-- keeps its state a second longer than that, so it never drops one that counts.
SET 'table.exec.emit.allow-lateness' = '${window_lateness}';
SET 'table.exec.emit.late-fire.enabled' = 'true';
SET 'table.exec.emit.late-fire.delay' = '0 s';
-- rta submits the job from a compiled plan when it can (rta.pipeline.plan): the plan
-- names the tables only, so their options come from the DDL of the session that runs
-- it, and sets no operator ids, so the job from a plan and the one planned from this
-- SQL have the same operators and restore each other's savepoints.
SET 'table.plan.compile.catalog-objects' = 'IDENTIFIER';
SET 'table.plan.restore.catalog-objects' = 'IDENTIFIER';
SET 'table.exec.uid.generation' = 'DISABLED';
-- Plan the shared de-duplication once for all three queries instead of once per query.
SET 'table.optimizer.reuse-optimize-block-with-digest-enabled' = 'true';
-- Each result key is written by one operator in order (a window, a session, a
-- counter), so the sink needs no upsert materializer to reorder its changes.
SET 'table.exec.sink.upsert-materialize' = 'NONE';
