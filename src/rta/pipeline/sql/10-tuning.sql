-- Tuning measured by bench/pipeline.py (skipped with RTA_FLINK__TUNED=false, the
-- seed-default configuration kept for comparison).
--
-- Not here on purpose: table.exec.mini-batch.*. With this plan (proctime de-duplication
-- feeding event-time windows) the mini-batch assigner replaced the event-time watermark
-- with processing time, so windows over backfilled or replayed data never closed.
-- SQL operators never hold on to an input record, so reusing objects is safe.
SET 'pipeline.object-reuse' = 'true';
