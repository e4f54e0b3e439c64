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
  -- DOUBLE, so that the contract check sees a fraction (2.5) instead of a truncated 2.
  quantity DOUBLE,
  total_amount DOUBLE,
  order_id STRING,
  -- Where the record was read: the lateness rule is judged per partition, and a
  -- dead letter names its origin.
  src_partition INT METADATA FROM 'partition' VIRTUAL,
  src_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  -- The event time of a record the contract accepts, NULL for any other record, so
  -- that a rejected record (a far-future timestamp with a bad id, say) never moves
  -- the watermark. The contract_violation placeholder is generated from the JSON
  -- Schema (rta.pipeline.contract; `rta pipeline sql` shows it rendered).
  -- event_timestamp is RFC 3339 with any offset and 0-6 fraction digits, which
  -- Flink's JSON format and TO_TIMESTAMP_LTZ do not read (they take 'Z' only, or drop
  -- the offset): RTA_EPOCH_MS (15-functions.sql) applies the offset and truncates the
  -- fraction to milliseconds.
  event_ts AS CASE
    WHEN (${contract_violation}) IS NULL
    THEN TO_TIMESTAMP_LTZ(RTA_EPOCH_MS(event_timestamp), 3)
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
  -- A malformed record never fails the job: it decodes as a row of NULLs, which the
  -- contract check rejects to the dead-letter topic (see docs/pipeline.md).
  'json.ignore-parse-errors' = 'true'
);

-- Results. Keys are the natural keys, so every version of a row lands in one
-- partition and Pinot's upsert tables overwrite instead of double counting.
-- Delivery is at-least-once: a redelivered row is identical (windows) or is an
-- older version that Pinot's comparison column rejects (sessions); see docs/pipeline.md.
CREATE TABLE active_users_per_minute (
  window_start BIGINT,
  window_end BIGINT,
  active_users BIGINT,
  PRIMARY KEY (window_start) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'active_users_per_minute',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL'
);

CREATE TABLE product_analytics_per_minute (
  window_start BIGINT,
  window_end BIGINT,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  view_count BIGINT,
  avg_price DOUBLE,
  PRIMARY KEY (window_start, product_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'product_analytics_per_minute',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL'
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

-- Every event the contract accepts, once: the input of Pinot's raw_events table.
CREATE TABLE accepted_events (
  session_id STRING,
  event_id STRING,
  event_timestamp STRING,
  user_id STRING,
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
  -- The event time the job parsed, and its minute: Pinot's raw_events stores them
  -- as they come and runs its own transforms (regular expressions per record) only
  -- for records without them, such as ones written to this topic by another producer.
  event_time_ms BIGINT,
  event_minute_ms BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${accepted_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'raw',
  'key.fields' = 'session_id',
  'value.format' = 'json',
  -- Fields of other event types stay out of the record instead of being null.
  'value.json.encode.ignore-null-fields' = 'true',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- Events later than the allowed lateness: left out of the windows (still counted in
-- their sessions), kept here with how late they were.
CREATE TABLE late_events (
  event_id STRING,
  event_timestamp STRING,
  user_id STRING,
  session_id STRING,
  event_type STRING,
  product_id STRING,
  order_id STRING,
  source_partition INT,
  source_offset BIGINT,
  -- How far behind its partition's watermark the event was.
  behind_watermark_ms BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${late_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'raw',
  'key.fields' = 'session_id',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- Records the contract rejects, whoever wrote them: the same topic and headers as
-- the rejects of `rta replay` and the collector. The value is the record as Flink
-- decoded it; x-rta-source names the partition and offset of the original bytes.
CREATE TABLE dead_letters (
  session_id STRING,
  event_id STRING,
  event_timestamp STRING,
  user_id STRING,
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
  quantity DOUBLE,
  total_amount DOUBLE,
  order_id STRING,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = '${dlq_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'raw',
  'key.fields' = 'session_id',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.delivery-guarantee' = 'at-least-once'
);

-- What happened to every record read, as running totals kept in Flink's state (so
-- they survive restarts and count each record once): rejected per reason, valid,
-- then of the valid ones after de-duplication, on time or late. `rta pipeline
-- status` reads the newest value per key from this compacted topic.
CREATE TABLE pipeline_counts (
  outcome STRING,
  reason STRING,
  records BIGINT,
  PRIMARY KEY (outcome, reason) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${counts_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap}',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.fields-include' = 'ALL',
  'sink.buffer-flush.max-rows' = '1000',
  'sink.buffer-flush.interval' = '1 s'
);
