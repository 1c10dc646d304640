-- Session id -> time range, the same layout as `spans_trace_id_ts`. `spans`
-- is already ordered by SessionId; this table adds the time bounds so that a
-- session query also prunes the daily partitions it does not touch:
--
--   WITH (SELECT min(Start) FROM reshimu.spans_session_id_ts WHERE SessionId = {id:String}) AS s,
--        (SELECT max(End) + 1 FROM reshimu.spans_session_id_ts WHERE SessionId = {id:String}) AS e
--   SELECT ... FROM reshimu.spans
--   WHERE SessionId = {id:String} AND Timestamp >= s AND Timestamp < e
CREATE TABLE IF NOT EXISTS {{database}}.{{table spans_session_id_ts}} {{on_cluster}}
(
    SessionId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_session_id SessionId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine MergeTree}}
PARTITION BY toDate(Start)
ORDER BY (SessionId, Start)
{{ttl Start}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

{{distributed spans_session_id_ts cityHash64(SessionId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.spans_session_id_ts_mv {{on_cluster}}
TO {{database}}.{{table spans_session_id_ts}}
AS SELECT
    SessionId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {{database}}.{{table spans}}
WHERE SessionId != ''
GROUP BY SessionId;
