-- Tuning measured by bench/pipeline.py (skipped with RTA_FLINK__TUNED=false, the
-- seed-default configuration kept for comparison).
--
-- Not here on purpose: table.exec.mini-batch.*. With this plan (proctime de-duplication
-- feeding event-time windows) the mini-batch assigner replaced the event-time watermark
-- with processing time, so windows over backfilled or replayed data never closed.
-- SQL operators never hold on to an input record, so reusing objects is safe.
SET 'pipeline.object-reuse' = 'true';
-- A bloom filter per RocksDB table file: the de-duplication looks up every new
-- event_id and the session counts every new (session, type, item), keys that are in
-- no file, and without a filter each such lookup reads an index block of every level.
-- It costs about 10 bits per key of memory, cached with the index blocks; the heap
-- state backend ignores it.
SET 'state.backend.rocksdb.use-bloom-filter' = 'true';
