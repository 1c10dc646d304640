-- Where each intent came from: 'declared' by an agent (reshimu.intent.*
-- attributes), or 'inferred' by the collector from the root agent's first
-- user message when a trace declares none (lineage.infer_intent). Inferred
-- intents also have ids starting with `inferred-`; dashboards use this column
-- to show their sessions apart.
ALTER TABLE {{database}}.{{table intents}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS Source LowCardinality(String) DEFAULT 'declared' CODEC(ZSTD(1));

-- In cluster mode the Distributed `intents` table needs the column too; on a
-- single node this is the same table and the statement does nothing.
ALTER TABLE {{database}}.intents {{on_cluster}}
    ADD COLUMN IF NOT EXISTS Source LowCardinality(String) DEFAULT 'declared' CODEC(ZSTD(1));
