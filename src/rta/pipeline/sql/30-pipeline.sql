-- Valid events, each event_id once: a retried producer or client may deliver an
-- event twice, and the first delivery wins. Records that parsed as JSON but break
-- the contract (no id, no parsable timestamp, unknown type) are left out here.
CREATE TEMPORARY VIEW events AS
SELECT event_id, event_type, user_id, session_id, product_id, product_name,
       product_category, price, order_id, event_ts
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY proc_time ASC) AS rn
  FROM raw_events
  WHERE event_ts IS NOT NULL
    AND event_id IS NOT NULL
    AND user_id IS NOT NULL
    AND session_id IS NOT NULL
    AND event_type IN ('page_view', 'product_view', 'add_to_cart', 'purchase')
)
WHERE rn = 1;

-- The seed's three queries, one job. Window bounds leave as epoch milliseconds (UTC).
EXECUTE STATEMENT SET
BEGIN

INSERT INTO active_users_per_minute
SELECT EXTRACT(EPOCH FROM window_start) * 1000,
       EXTRACT(EPOCH FROM window_end) * 1000,
       COUNT(DISTINCT user_id)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(event_ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;

INSERT INTO product_analytics_per_minute
SELECT EXTRACT(EPOCH FROM window_start) * 1000,
       EXTRACT(EPOCH FROM window_end) * 1000,
       product_id,
       product_name,
       product_category,
       COUNT(*),
       AVG(price)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(event_ts), INTERVAL '1' MINUTE))
WHERE event_type = 'product_view'
GROUP BY window_start, window_end, product_id, product_name, product_category;

INSERT INTO session_analytics
SELECT /*+ STATE_TTL('e' = '${session_state_ttl}') */
       session_id,
       user_id,
       COUNT(*),
       COUNT(DISTINCT CASE WHEN event_type = 'product_view' THEN product_id END),
       COUNT(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN product_id END),
       COUNT(DISTINCT CASE WHEN event_type = 'purchase' THEN order_id END),
       MIN(EXTRACT(EPOCH FROM event_ts) * 1000 + EXTRACT(MILLISECOND FROM event_ts)),
       MAX(EXTRACT(EPOCH FROM event_ts) * 1000 + EXTRACT(MILLISECOND FROM event_ts))
FROM events AS e
GROUP BY session_id, user_id;

END;
