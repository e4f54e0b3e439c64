-- Every record read, with the first contract rule it breaks (NULL: a valid event).
-- event_ts is NULL exactly when the record breaks the contract (20-tables.sql).
CREATE TEMPORARY VIEW checked AS
SELECT *,
       CASE WHEN event_ts IS NULL
         THEN COALESCE(${contract_violation}, 'event_timestamp: not parsable')
       END AS reject_reason
FROM raw_events;

-- Every decoded record in read order per partition, with the newest event time its
-- partition had shown up to and including it (valid events only), and the offset of
-- the record read before it. Lateness is judged against that partition high, so it is
-- the same whether the events arrive live or in one burst: it does not depend on how
-- the reads of different partitions interleave, as the operator watermark does.
-- A gap between offsets is a record the JSON format could not decode at all (Flink
-- drops those before SQL sees them); the gap is how they are counted and reported.
CREATE TEMPORARY VIEW sequenced AS
SELECT *,
       MAX(event_ms) OVER w AS high_ms,
       src_offset - LAG(src_offset, 1) OVER w - 1 AS undecoded_before
FROM (
  SELECT event_id, event_timestamp, user_id, session_id, device_type, os, browser,
         location, event_type, page_url, referrer_url, time_spent, product_id,
         product_name, product_category, price, quantity, total_amount, order_id,
         event_ts, src_partition, src_offset, proc_time, reject_reason,
         EXTRACT(EPOCH FROM event_ts) * 1000 + EXTRACT(MILLISECOND FROM event_ts) AS event_ms
  FROM checked
)
WINDOW w AS (PARTITION BY src_partition ORDER BY proc_time);

CREATE TEMPORARY VIEW classified AS
SELECT * FROM sequenced WHERE reject_reason IS NULL;

-- Each event_id once: a retried producer or client may deliver an event twice, and
-- the first delivery wins. An event is late when it is more than the watermark bound
-- plus the allowed lateness behind its partition's newest event.
CREATE TEMPORARY VIEW events AS
SELECT *,
       event_ms < high_ms - ${late_after_ms} AS is_late,
       high_ms - ${watermark_bound_ms} - event_ms AS behind_watermark_ms
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY proc_time ASC) AS rn
  FROM classified
)
WHERE rn = 1;

-- Events that count in the windows.
CREATE TEMPORARY VIEW on_time AS
SELECT * FROM events WHERE NOT is_late;

-- The seed's three queries plus what the job did with its input, one job. Window
-- bounds leave as epoch milliseconds (UTC). The windows are group windows with an
-- allowed lateness (00-config.sql): they fire when the watermark passes their end and
-- fire again for each on-time event that arrives after that.
EXECUTE STATEMENT SET
BEGIN

INSERT INTO active_users_per_minute
SELECT EXTRACT(EPOCH FROM TUMBLE_START(event_ts, INTERVAL '1' MINUTE)) * 1000,
       EXTRACT(EPOCH FROM TUMBLE_END(event_ts, INTERVAL '1' MINUTE)) * 1000,
       COUNT(DISTINCT user_id)
FROM on_time
GROUP BY TUMBLE(event_ts, INTERVAL '1' MINUTE);

INSERT INTO product_analytics_per_minute
SELECT EXTRACT(EPOCH FROM TUMBLE_START(event_ts, INTERVAL '1' MINUTE)) * 1000,
       EXTRACT(EPOCH FROM TUMBLE_END(event_ts, INTERVAL '1' MINUTE)) * 1000,
       product_id,
       product_name,
       product_category,
       COUNT(*),
       AVG(price)
FROM on_time
WHERE event_type = 'product_view'
GROUP BY TUMBLE(event_ts, INTERVAL '1' MINUTE), product_id, product_name, product_category;

-- Sessions have no window: late events count in them too. The distinct counts are
-- not COUNT(DISTINCT): that keeps a map of items per session, and on the heap
-- backend every state access also sweeps a few entries for expiry, copying their
-- maps (over half of this operator's time; docs/pipeline.md, "Tuning"). Instead each event
-- learns whether it is the first of its kind in its session (the OVER count, one
-- small value per session, type and item), and the session sums the firsts: only
-- value state, and the same numbers. The OVER state lives as long as the
-- de-duplication's (table.exec.state.ttl); a product viewed again after more than
-- that much quiet on the same session would count twice (docs/pipeline.md).
INSERT INTO session_analytics
SELECT /*+ STATE_TTL('s' = '${session_state_ttl}') */
       session_id,
       user_id,
       COUNT(*),
       COUNT(CASE WHEN event_type = 'product_view' AND nth = 1 THEN 1 END),
       COUNT(CASE WHEN event_type = 'add_to_cart' AND nth = 1 THEN 1 END),
       COUNT(CASE WHEN event_type = 'purchase' AND nth = 1 THEN 1 END),
       MIN(event_ms),
       MAX(event_ms)
FROM (
  SELECT session_id, user_id, event_type, event_ms,
         COUNT(*) OVER (
           PARTITION BY session_id, user_id, event_type, item
           ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS nth
  FROM (
    SELECT session_id, user_id, event_type, event_ms, proc_time,
           CASE WHEN event_type = 'purchase' THEN order_id ELSE product_id END AS item
    FROM events
  )
) AS s
GROUP BY session_id, user_id;

-- Every accepted event once, late ones included: what Pinot's raw_events table
-- holds, so that no table shows a record the contract rejects.
INSERT INTO accepted_events
SELECT session_id, event_id, event_timestamp, user_id, device_type, os, browser, location,
       event_type, page_url, referrer_url, time_spent, product_id, product_name,
       product_category, price, CAST(quantity AS INT), total_amount, order_id,
       event_ms, event_ms - MOD(event_ms, 60000)
FROM events;

INSERT INTO late_events
SELECT event_id, event_timestamp, user_id, session_id, event_type, product_id, order_id,
       src_partition, src_offset, behind_watermark_ms
FROM events
WHERE is_late;

-- Rejected records, whoever wrote them, and the offsets of records not decodable
-- at all (their bytes stay in raw_events at that place).
INSERT INTO dead_letters
SELECT session_id, event_id, event_timestamp, user_id, device_type, os, browser, location,
       event_type, page_url, referrer_url, time_spent, product_id, product_name,
       product_category, price, quantity, total_amount, order_id,
       MAP['x-rta-reason', CAST(reject_reason AS BYTES),
           'x-rta-source', CAST('${raw_topic}/' || CAST(src_partition AS STRING) || '/'
                                || CAST(src_offset AS STRING) AS BYTES)]
FROM checked
WHERE reject_reason IS NOT NULL;

INSERT INTO dead_letters
SELECT CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING),
       CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING),
       CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS DOUBLE),
       CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS DOUBLE),
       CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS STRING),
       MAP['x-rta-reason', CAST('${undecodable_reason}' AS BYTES),
           'x-rta-source', CAST('${raw_topic}/' || CAST(src_partition AS STRING) || '/'
                                || CAST(src_offset - undecoded_before AS STRING) || '-'
                                || CAST(src_offset - 1 AS STRING) AS BYTES)]
FROM sequenced
WHERE undecoded_before > 0;

INSERT INTO pipeline_counts
SELECT /*+ STATE_TTL('o' = '${counts_state_ttl}') */ outcome, reason, SUM(n)
FROM (
  SELECT CASE WHEN reject_reason IS NULL THEN 'valid' ELSE 'rejected' END AS outcome,
         COALESCE(reject_reason, '') AS reason,
         CAST(1 AS BIGINT) AS n
  FROM sequenced
  UNION ALL
  SELECT 'rejected', '${undecodable_reason}', undecoded_before
  FROM sequenced
  WHERE undecoded_before > 0
  UNION ALL
  SELECT CASE WHEN is_late THEN 'late' ELSE 'on_time' END, '', CAST(1 AS BIGINT) FROM events
) AS o
GROUP BY outcome, reason;

END;
