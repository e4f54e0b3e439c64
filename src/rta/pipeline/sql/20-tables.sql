-- The input: every event as produced by the generator, replay or collector.
-- All seed fields are declared; the planner reads only those the queries use.
CREATE TABLE raw_events (
  event_id STRING,
  event_timestamp STRING,
  user_id STRING,
  session_id STRING,
  device_type STRING,
  os STRING,
  browser STRING,
  location STRING,
  event_type STRING,
  page_url STRING,
  referrer_url STRING,
  time_spent DOUBLE,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  price DOUBLE,
  quantity INT,
  total_amount DOUBLE,
  order_id STRING,
  -- event_timestamp is RFC 3339 with any offset and 0-6 fraction digits. Flink's JSON
  -- format reads TIMESTAMP_LTZ only with 'Z', and TO_TIMESTAMP_LTZ(s, '...XXX') drops
  -- the offset, so: UNIX_TIMESTAMP applies the offset (whole seconds) and the fraction
  -- is added back as milliseconds (truncated, never rounded). The REGEXP guard turns a
  -- malformed timestamp into NULL instead of a silent 1970 (UNIX_TIMESTAMP's error value).
  event_ts AS CASE
    WHEN REGEXP(event_timestamp,
      '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$')
    THEN TO_TIMESTAMP_LTZ(
      UNIX_TIMESTAMP(REGEXP_REPLACE(event_timestamp, '\.[0-9]+', ''), 'yyyy-MM-dd''T''HH:mm:ssXXX') * 1000
        + CAST(SUBSTR(RPAD(COALESCE(REGEXP_EXTRACT(event_timestamp, '\.([0-9]+)', 1), ''), 3, '0'), 1, 3) AS BIGINT),
      3)
  END,
  proc_time AS PROCTIME(),
  WATERMARK FOR event_ts AS event_ts - INTERVAL '${watermark_bound}' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${raw_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'properties.group.id' = '${group_id}',
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'group-offsets',
  'properties.auto.offset.reset' = 'earliest',
  'format' = 'json',
  -- A malformed record is skipped, never fails the job (Pinot's raw table and the
  -- source metrics still see it; see docs/pipeline.md).
  'json.ignore-parse-errors' = 'true'
);

-- Results. Keys are the natural keys, so every version of a row lands in one
-- partition and Pinot's upsert tables overwrite instead of double counting.
-- Delivery is at-least-once: a redelivered row is identical (windows) or is an
-- older version that Pinot's comparison column rejects (sessions); see docs/pipeline.md.
CREATE TABLE active_users_per_minute (
  window_start BIGINT,
  window_end BIGINT,
  active_users BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'active_users_per_minute',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'key.fields' = 'window_start',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

CREATE TABLE product_analytics_per_minute (
  window_start BIGINT,
  window_end BIGINT,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  view_count BIGINT,
  avg_price DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'product_analytics_per_minute',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'key.fields' = 'window_start;product_id',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

CREATE TABLE session_analytics (
  session_id STRING,
  user_id STRING,
  event_count BIGINT,
  products_viewed BIGINT,
  products_added_to_cart BIGINT,
  purchases_made BIGINT,
  session_start BIGINT,
  session_end BIGINT,
  PRIMARY KEY (session_id, user_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'session_analytics',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  -- Every event updates its session; the sink keeps only the newest version of each
  -- key for up to 1 s (and flushes on every checkpoint), so a session updated many
  -- times a second is written once instead of once per event.
  'sink.buffer-flush.max-rows' = '20000',
  'sink.buffer-flush.interval' = '1 s'
);
