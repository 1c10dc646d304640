//! GenAI-convention spans for the reference agents: model calls with their
//! recorded messages (no real model: the text is what a model would say) and
//! tool calls with arguments and results.

use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use reshimu_intent::attr::foreign;

/// The model name recorded on the reference agents' model spans.
pub const MODEL: &str = "reference-scripted-model";

/// GenAI message JSON: one message with one text part.
fn messages(role: &str, text: &str, finish: bool) -> String {
    let mut m = serde_json::json!({
        "role": role,
        "parts": [{"type": "text", "content": text}],
    });
    if finish {
        m["finish_reason"] = "stop".into();
    }
    serde_json::Value::Array(vec![m]).to_string()
}

/// Records a model call `chat <MODEL>` under the current context.
pub fn chat(tracer: &BoxedTracer, agent: &str, prompt: &str, answer: &str) {
    let span = tracer
        .span_builder(format!("chat {MODEL}"))
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new(foreign::GEN_AI_OPERATION_NAME, "chat"),
            KeyValue::new("gen_ai.provider.name", "reference"),
            KeyValue::new("gen_ai.request.model", MODEL),
            KeyValue::new(foreign::GEN_AI_AGENT_NAME, agent.to_owned()),
            KeyValue::new(
                foreign::GEN_AI_INPUT_MESSAGES,
                messages("user", prompt, false),
            ),
            KeyValue::new(
                foreign::GEN_AI_OUTPUT_MESSAGES,
                messages("assistant", answer, true),
            ),
        ])
        .start(tracer);
    drop(span);
}

/// Runs `f` inside a tool span `execute_tool <name>` and records its result.
pub fn tool<T>(
    tracer: &BoxedTracer,
    agent: &str,
    name: &str,
    arguments: &str,
    f: impl FnOnce(&Context) -> (T, String),
) -> T {
    let span = tracer
        .span_builder(format!("execute_tool {name}"))
        .with_kind(SpanKind::Internal)
        .with_attributes([
            KeyValue::new(foreign::GEN_AI_OPERATION_NAME, "execute_tool"),
            KeyValue::new(foreign::GEN_AI_TOOL_NAME, name.to_owned()),
            KeyValue::new(foreign::GEN_AI_AGENT_NAME, agent.to_owned()),
            KeyValue::new(foreign::GEN_AI_TOOL_CALL_ARGUMENTS, arguments.to_owned()),
        ])
        .start(tracer);
    let cx = Context::current_with_span(span);
    let _guard = cx.clone().attach();
    let (value, result) = f(&cx);
    cx.span()
        .set_attribute(KeyValue::new("gen_ai.tool.call.result", result));
    cx.span().end();
    value
}

/// Records a database client span for `sql` under the current context.
pub fn db_query(tracer: &BoxedTracer, sql: &str, rows: Option<usize>) {
    let operation = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    let mut attributes = vec![
        KeyValue::new("db.system.name", "sqlite"),
        KeyValue::new(foreign::DB_QUERY_TEXT, sql.to_owned()),
        KeyValue::new(foreign::DB_OPERATION_NAME, operation.clone()),
        KeyValue::new("db.collection.name", "customers"),
    ];
    if let Some(n) = rows {
        attributes.push(KeyValue::new(
            "db.response.returned_rows",
            i64::try_from(n).unwrap_or(i64::MAX),
        ));
    }
    let span = tracer
        .span_builder(format!("{operation} customers"))
        .with_kind(SpanKind::Client)
        .with_attributes(attributes)
        .start(tracer);
    drop(span);
}
