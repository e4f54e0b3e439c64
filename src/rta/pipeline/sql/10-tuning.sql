-- Tuning measured by bench/pipeline.py (skipped with RTA_FLINK__TUNED=false, the
-- seed-default configuration kept for comparison).
-- Mini-batches fold many updates of one session into one upsert before it is emitted,
-- which cuts state access and the records written to session_analytics.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 s';
SET 'table.exec.mini-batch.size' = '5000';
