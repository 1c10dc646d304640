-- Model calls whose instrumentation captured no message content (no
-- gen_ai.input/output.messages, no OpenInference or framework messages, no
-- content events): such a span cannot be judged on what it said. The
-- collector counts them (reshimu_spans_without_content_total) and marks each
-- one here, so dashboards can show why a session cannot be judged and which
-- service or instrumentation to configure.
ALTER TABLE {{database}}.{{table spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS ContentMissing Bool DEFAULT false CODEC(ZSTD(1));

-- In cluster mode the Distributed `spans` table needs the column too; on a
-- single node this is the same table and the statement does nothing.
ALTER TABLE {{database}}.spans {{on_cluster}}
    ADD COLUMN IF NOT EXISTS ContentMissing Bool DEFAULT false CODEC(ZSTD(1));
