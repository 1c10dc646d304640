-- One row per declared intent: the root of a session and every contraction
-- handed to a delegate. The collector writes a row when it sees the declaring
-- span and may write it again later (coverage, digest check, what was lost);
-- ReplacingMergeTree keeps the row with the highest UpdatedAt per IntentId.
-- Read with FINAL (or argMax(..., UpdatedAt) GROUP BY IntentId) to see one
-- row per intent before background merges have run.
--
-- ORDER BY IntentId makes the collector's lookup of a late parent intent a
-- primary-key read; the session and root bloom filters serve "all intents of
-- this session / lineage".
CREATE TABLE IF NOT EXISTS {{database}}.{{table intents}} {{on_cluster}}
(
    IntentId String CODEC(ZSTD(1)),
    -- Empty for a root intent.
    ParentIntentId String CODEC(ZSTD(1)),
    RootIntentId String CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    -- 0 at the root, +1 per contraction.
    Depth UInt16 CODEC(ZSTD(1)),
    AgentName LowCardinality(String) CODEC(ZSTD(1)),
    Objective String CODEC(ZSTD(1)),
    Scope String CODEC(ZSTD(1)),
    Constraints String CODEC(ZSTD(1)),
    Guards Array(String) CODEC(ZSTD(1)),
    -- sha256 (hex) as declared; DigestValid says whether it matches the
    -- collector's recomputation over the canonical spec.
    Digest String CODEC(ZSTD(1)),
    DigestValid Bool CODEC(ZSTD(1)),
    -- Share of the root's definitions and constraints still carried; NULL for
    -- a root intent.
    Coverage Nullable(Float32) CODEC(ZSTD(1)),
    -- The root's definitions and constraints this contraction no longer carries.
    Lost Array(String) CODEC(ZSTD(1)),
    -- Where the intent was declared.
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    DeclaredAt DateTime64(9) CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    -- Version column of the ReplacingMergeTree.
    UpdatedAt DateTime64(9) CODEC(Delta, ZSTD(1)),

    INDEX idx_session_id SessionId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_root_intent_id RootIntentId TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine ReplacingMergeTree(UpdatedAt)}}
ORDER BY IntentId
{{ttl toDateTime(DeclaredAt)}}
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

-- Sharded by IntentId so every version of an intent lands on the same shard,
-- where ReplacingMergeTree can collapse it.
{{distributed intents cityHash64(IntentId)}};
