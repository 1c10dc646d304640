-- One row per session, kept up to date by `sessions_mv` from every block
-- inserted into `spans`. Each insert adds a partial row; background merges
-- fold the partial rows of a session together with the function named in each
-- column's SimpleAggregateFunction. Until they have, a session can have
-- several rows, so read it with the same functions and GROUP BY:
--
--   SELECT SessionId, min(FirstSeen) AS FirstSeen, max(LastSeen) AS LastSeen,
--          sum(Spans) AS Spans, max(MaxDepth) AS MaxDepth, min(MinAlignment) AS MinAlignment,
--          sum(AlignedSpans) AS AlignedSpans, sum(DriftingSpans) AS DriftingSpans,
--          sum(ThinSpans) AS ThinSpans, sum(ViolationSpans) AS ViolationSpans,
--          sum(UnscopedSpans) AS UnscopedSpans, any(RootObjective) AS RootObjective,
--          groupUniqArrayArray(RootIntentIds) AS RootIntentIds,
--          groupUniqArrayArray(ServiceNames) AS ServiceNames,
--          groupUniqArrayArray(AgentNames) AS AgentNames
--   FROM reshimu.sessions WHERE SessionId = {id:String} GROUP BY SessionId
--
-- or, on a single node, `SELECT * FROM reshimu.sessions FINAL`, which merges
-- at read time (FINAL does not merge across shards; sharding `spans` by
-- SessionId keeps a session on one shard, so it holds there too).
CREATE TABLE IF NOT EXISTS {{database}}.{{table sessions}} {{on_cluster}}
(
    SessionId String CODEC(ZSTD(1)),
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)) CODEC(ZSTD(1)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9)) CODEC(ZSTD(1)),
    Spans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    MaxDepth SimpleAggregateFunction(max, UInt16) CODEC(ZSTD(1)),
    -- Lowest alignment among scored spans; NULL while every span is unscoped.
    MinAlignment SimpleAggregateFunction(min, Nullable(Float32)) CODEC(ZSTD(1)),
    -- Sum of the alignment of scored spans: the mean is
    -- AlignmentSum / (Spans - UnscopedSpans).
    AlignmentSum SimpleAggregateFunction(sum, Float64) CODEC(ZSTD(1)),
    AlignedSpans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    DriftingSpans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    ThinSpans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    ViolationSpans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    UnscopedSpans SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    -- The objective declared by a root (depth 0, no parent) intent of the
    -- session; NULL until its declaring span has arrived.
    RootObjective SimpleAggregateFunction(any, Nullable(String)) CODEC(ZSTD(1)),
    RootIntentIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1)),
    ServiceNames SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1)),
    AgentNames SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1))
)
ENGINE = {{engine AggregatingMergeTree}}
ORDER BY SessionId
{{ttl toDateTime(LastSeen)}}
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{distributed sessions cityHash64(SessionId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sessions_mv {{on_cluster}}
TO {{database}}.{{table sessions}}
AS SELECT
    SessionId,
    min(Timestamp) AS FirstSeen,
    max(Timestamp) AS LastSeen,
    toUInt64(count()) AS Spans,
    max(Depth) AS MaxDepth,
    minIf(toNullable(Alignment), Verdict != 'unscoped') AS MinAlignment,
    sumIf(toFloat64(Alignment), Verdict != 'unscoped') AS AlignmentSum,
    toUInt64(countIf(Verdict = 'aligned')) AS AlignedSpans,
    toUInt64(countIf(Verdict = 'drifting')) AS DriftingSpans,
    toUInt64(countIf(Verdict = 'thin')) AS ThinSpans,
    toUInt64(countIf(Verdict = 'violation')) AS ViolationSpans,
    toUInt64(countIf(Verdict = 'unscoped')) AS UnscopedSpans,
    anyIf(
        toNullable(SpanAttributes['reshimu.intent.objective']),
        Depth = 0 AND ParentIntentId = '' AND SpanAttributes['reshimu.intent.objective'] != ''
    ) AS RootObjective,
    groupUniqArrayIf(RootIntentId, RootIntentId != '') AS RootIntentIds,
    groupUniqArray(ServiceName) AS ServiceNames,
    groupUniqArrayIf(AgentName, AgentName != '') AS AgentNames
FROM {{database}}.{{table spans}}
WHERE SessionId != ''
GROUP BY SessionId;
