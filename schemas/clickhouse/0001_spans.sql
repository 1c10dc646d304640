-- One row per span: the OpenTelemetry Collector ClickHouse exporter's
-- `otel_traces` columns (same names, types and codecs, so Grafana's trace view
-- and existing otel_traces queries run unchanged), followed by Reshimu's
-- lineage and score columns.
--
-- ORDER BY starts with SessionId: the dominant Reshimu query is "everything in
-- one session", which then reads a contiguous key range per daily partition.
-- Trace lookups go through `spans_trace_id_ts` (time range -> partition
-- pruning) plus the `idx_trace_id` bloom filter, as in otel_traces.
CREATE TABLE IF NOT EXISTS {{database}}.{{table spans}} {{on_cluster}}
(
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested
    (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested
    (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),

    -- Lineage: which intent the span serves, and how it got there.
    SessionId String CODEC(ZSTD(1)),
    IntentId String CODEC(ZSTD(1)),
    RootIntentId String CODEC(ZSTD(1)),
    ParentIntentId String CODEC(ZSTD(1)),
    Depth UInt16 CODEC(ZSTD(1)),
    -- Intent ids from the root down to the intent in force.
    LineagePath Array(String) CODEC(ZSTD(1)),
    AgentName LowCardinality(String) CODEC(ZSTD(1)),
    -- llm, tool, sql, http, message, agent or other.
    ActionKind LowCardinality(String) CODEC(ZSTD(1)),
    ActionName String CODEC(ZSTD(1)),

    -- Scores, see DESIGN.md "Scores and verdicts".
    Alignment Float32 CODEC(ZSTD(1)),
    LocalAlignment Float32 CODEC(ZSTD(1)),
    -- Only contractions (declaring spans with a parent intent) have a coverage.
    Coverage Nullable(Float32) CODEC(ZSTD(1)),
    -- aligned, drifting, thin, violation or unscoped.
    Verdict LowCardinality(String) CODEC(ZSTD(1)),
    -- `<rule id>: <evidence>`, one per broken guard or constraint.
    Violations Array(String) CODEC(ZSTD(1)),
    Explanation String CODEC(ZSTD(1)),
    -- Name and version of the scorer that produced the scores above.
    Scorer LowCardinality(String) CODEC(ZSTD(1)),

    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_intent_id IntentId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_root_intent_id RootIntentId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_verdict Verdict TYPE set(8) GRANULARITY 1,
    INDEX idx_alignment Alignment TYPE minmax GRANULARITY 1
)
-- The deduplication window makes a retried or replayed insert with the same
-- insert_deduplication_token a no-op (the collector sends one per batch).
ENGINE = {{engine MergeTree}}
PARTITION BY toDate(Timestamp)
ORDER BY (SessionId, toDateTime(Timestamp), TraceId)
{{ttl toDateTime(Timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

{{distributed spans cityHash64(SessionId)}};
