-- Trace id -> time range, the layout of the OpenTelemetry Collector
-- exporter's `otel_traces_trace_id_ts` and the table Grafana's ClickHouse
-- plugin reads (`<traces table>_trace_id_ts`) to find a trace by id without
-- scanning `spans`. Start and End are DateTime (seconds) like upstream, so a
-- reader bounds spans by `Timestamp >= Start AND Timestamp < End + 1`.
CREATE TABLE IF NOT EXISTS {{database}}.{{table spans_trace_id_ts}} {{on_cluster}}
(
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine MergeTree}}
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
{{ttl Start}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

{{distributed spans_trace_id_ts cityHash64(TraceId)}};

-- Fires per inserted block, so a trace split over several inserts has
-- several rows here: readers take min(Start) and max(End).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.spans_trace_id_ts_mv {{on_cluster}}
TO {{database}}.{{table spans_trace_id_ts}}
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {{database}}.{{table spans}}
WHERE TraceId != ''
GROUP BY TraceId;
