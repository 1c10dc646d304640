//! A proposed action, described with the same attributes its span will carry,
//! so an agent-side check judges it exactly as the collector will judge the
//! span afterwards. One implementation for every SDK: the Rust exporter
//! re-exports it and the Python binding wraps it.

use crate::attr::{self, foreign};
use crate::span::SpanView;

/// Key of the model an LLM action asks for (OTel GenAI).
const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// Key of a message's destination (OTel messaging).
const MESSAGING_DESTINATION_NAME: &str = "messaging.destination.name";
/// Key of a tool call's result (OTel GenAI).
const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";

/// An action an agent is about to take: a span name and string attributes in
/// any convention the collector reads (OTel GenAI, OpenInference, database,
/// HTTP, messaging).
///
/// ```
/// use reshimu_intent::action::Action;
/// let a = Action::sql("SELECT id FROM customers WHERE last_login < date('now', '-90 days')");
/// assert_eq!(a.name(), "SELECT");
/// let b = Action::tool("send_email", r#"{"to": "ops@example.com"}"#).with("messaging.operation.type", "send");
/// assert_eq!(b.attributes().len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    name: String,
    attributes: Vec<(String, String)>,
}

impl Action {
    /// An action with a span name and no attributes yet.
    pub fn new(name: impl Into<String>) -> Action {
        Action {
            name: name.into(),
            attributes: Vec::new(),
        }
    }

    /// A tool call (`execute_tool <name>`) with its JSON arguments.
    pub fn tool(name: &str, arguments: impl Into<String>) -> Action {
        Action::new(format!("execute_tool {name}"))
            .with(foreign::GEN_AI_OPERATION_NAME, "execute_tool")
            .with(foreign::GEN_AI_TOOL_NAME, name)
            .with(foreign::GEN_AI_TOOL_CALL_ARGUMENTS, arguments)
    }

    /// A tool call that ran and returned `result`, as its span carries it
    /// when it ends: what an agent was given, for a session's provenance.
    ///
    /// ```
    /// use reshimu_intent::{action::Action, span::ActionKind};
    /// let done = Action::tool_result("fetch_url", "Spring sale: 20% off.");
    /// let view = done.view("i-1");
    /// assert_eq!(view.kind, ActionKind::Tool);
    /// assert_eq!(view.content.given[0].text, "Spring sale: 20% off.");
    /// ```
    pub fn tool_result(name: &str, result: impl Into<String>) -> Action {
        Action::tool(name, "{}").with(GEN_AI_TOOL_CALL_RESULT, result)
    }

    /// A SQL statement; the span name is its leading keyword.
    pub fn sql(query: impl Into<String>) -> Action {
        let query = query.into();
        let verb = query
            .split_whitespace()
            .next()
            .unwrap_or("SQL")
            .to_ascii_uppercase();
        Action::new(verb).with(foreign::DB_QUERY_TEXT, query)
    }

    /// An HTTP request.
    pub fn http(method: &str, url: impl Into<String>) -> Action {
        Action::new(method.to_ascii_uppercase())
            .with(foreign::HTTP_REQUEST_METHOD, method.to_ascii_uppercase())
            .with(foreign::URL_FULL, url)
    }

    /// A message sent to `destination` (a recipient, queue, topic or channel),
    /// as the messaging conventions name it: span `send <destination>`,
    /// `messaging.operation.type = send`. The body, when given, is what the
    /// agent says (`output.value`), judged like any other output.
    pub fn message(destination: &str, body: Option<&str>) -> Action {
        let action = Action::new(format!("send {destination}"))
            .with(foreign::MESSAGING_OPERATION_TYPE, "send")
            .with(MESSAGING_DESTINATION_NAME, destination);
        match body {
            Some(body) => action.with(foreign::OUTPUT_VALUE, body),
            None => action,
        }
    }

    /// A model call with its input and output messages (JSON text).
    pub fn chat(model: &str, input: impl Into<String>, output: impl Into<String>) -> Action {
        Action::new(format!("chat {model}"))
            .with(foreign::GEN_AI_OPERATION_NAME, "chat")
            .with(GEN_AI_REQUEST_MODEL, model)
            .with(foreign::GEN_AI_INPUT_MESSAGES, input)
            .with(foreign::GEN_AI_OUTPUT_MESSAGES, output)
    }

    /// Adds (or appends) one attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Action {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// The span name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attributes, in insertion order.
    pub fn attributes(&self) -> &[(String, String)] {
        &self.attributes
    }

    /// The span the action will be, as the scorer reads it, running under
    /// the intent `intent_id`.
    ///
    /// ```
    /// use reshimu_intent::{action::Action, span::ActionKind};
    /// let action = Action::sql("DELETE FROM customers");
    /// let view = action.view("i-1");
    /// assert_eq!((view.kind, view.intent_id), (ActionKind::Sql, Some("i-1")));
    /// ```
    pub fn view<'a>(&'a self, intent_id: &'a str) -> SpanView<'a> {
        SpanView::from_attributes(
            &self.name,
            self.attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([(attr::INTENT_ID, intent_id)]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::ActionKind;

    #[test]
    fn each_constructor_reads_as_its_kind() {
        let cases = [
            (Action::tool("run_sql", "{}"), ActionKind::Tool, "run_sql"),
            (Action::sql("  select 1"), ActionKind::Sql, "select"),
            (
                Action::http("post", "https://x.example/a"),
                ActionKind::Http,
                "POST",
            ),
            (
                Action::message("ops@example.com", Some("hi")),
                ActionKind::Message,
                "send",
            ),
            (Action::chat("m", "[]", "[]"), ActionKind::Llm, "m"),
        ];
        for (action, kind, name) in cases {
            let view = action.view("i");
            assert_eq!((view.kind, view.action_name()), (kind, name), "{action:?}");
        }
        assert_eq!(Action::sql("").name(), "SQL");
        assert_eq!(
            Action::message("q", None).view("i").messaging_destination,
            Some("q")
        );
    }
}
