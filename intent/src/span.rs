//! A normalized, borrowed view of one span: what it did, in Reshimu's terms.
//!
//! Agent systems describe the same action in several vocabularies (Reshimu's own
//! `reshimu.*` keys, OTel GenAI, OpenInference, the database, HTTP and messaging
//! conventions). [`SpanView`] folds them into one shape so the scorer, the
//! collector and the exporter agree on what a span *is*. This is the single place
//! where span normalization lives; nothing else should interpret those keys.
//!
//! The view borrows every string from the caller's attributes and allocates
//! nothing: building it is one pass over the attributes with a `match` on the key.

use crate::attr::{self, foreign};

/// Keys read here that the shared registry in [`crate::attr::foreign`] does not
/// (yet) list. Kept private: only normalization needs them.
mod extra {
    /// OTel GenAI: the tool call's result.
    pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
    /// OTel GenAI: the requested model (names LLM actions).
    pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
    /// Database: the legacy (pre-1.26 semconv) query text key.
    pub const DB_STATEMENT: &str = "db.statement";
    /// Database: the legacy operation key.
    pub const DB_OPERATION: &str = "db.operation";
    /// Database: the database system (`postgresql`, `clickhouse`, ...).
    pub const DB_SYSTEM_NAME: &str = "db.system.name";
    /// Database: the legacy database system key.
    pub const DB_SYSTEM: &str = "db.system";
    /// HTTP: the legacy method key.
    pub const HTTP_METHOD: &str = "http.method";
    /// HTTP: the legacy URL key.
    pub const HTTP_URL: &str = "http.url";
    /// Messaging: the destination (queue, topic, channel, recipient).
    pub const MESSAGING_DESTINATION_NAME: &str = "messaging.destination.name";
    /// OpenInference: the LLM's model name.
    pub const LLM_MODEL_NAME: &str = "llm.model_name";
}

/// What kind of action a span is; the `ActionKind` column of the `spans` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ActionKind {
    /// A model call (chat, completion, embeddings).
    Llm,
    /// A tool call.
    Tool,
    /// A database statement.
    Sql,
    /// An HTTP request.
    Http,
    /// A messaging operation (publish, send, receive).
    Message,
    /// An agent invocation or a delegation.
    Agent,
    /// Anything else.
    #[default]
    Other,
}

impl ActionKind {
    /// The lowercase name stored in ClickHouse and in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::Llm => "llm",
            ActionKind::Tool => "tool",
            ActionKind::Sql => "sql",
            ActionKind::Http => "http",
            ActionKind::Message => "message",
            ActionKind::Agent => "agent",
            ActionKind::Other => "other",
        }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The intent bullets a declaring span carries (guards are a string array and
/// are read by the lineage resolver, not here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeclaredBullets<'a> {
    /// `reshimu.intent.objective`
    pub objective: Option<&'a str>,
    /// `reshimu.intent.scope`
    pub scope: Option<&'a str>,
    /// `reshimu.intent.constraints`
    pub constraints: Option<&'a str>,
}

impl DeclaredBullets<'_> {
    /// True when the span declares an intent (carries at least the objective).
    pub fn is_declaration(&self) -> bool {
        self.objective.is_some()
    }
}

/// A borrowed, normalized view of one span.
///
/// Every text field is a slice of an attribute value. Attributes the view does
/// not know, including test labels such as `test.label`, are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpanView<'a> {
    /// The span name.
    pub name: &'a str,
    /// The agent that ran the span (`gen_ai.agent.name`, else `graph.node.id`).
    pub agent: Option<&'a str>,
    /// The kind of action.
    pub kind: ActionKind,
    /// The tool name (`gen_ai.tool.name` or `tool.name`).
    pub tool_name: Option<&'a str>,
    /// The tool call's arguments, usually JSON text (`gen_ai.tool.call.arguments`,
    /// or OpenInference `input.value` on a tool span).
    pub tool_arguments: Option<&'a str>,
    /// The SQL text: `db.query.text`, `db.statement`, or a `query`/`sql`/`statement`
    /// string inside the tool arguments (then still JSON-escaped).
    pub sql: Option<&'a str>,
    /// The database operation (`db.operation.name`).
    pub db_operation: Option<&'a str>,
    /// The HTTP method, as sent.
    pub http_method: Option<&'a str>,
    /// The full URL of an HTTP request.
    pub url: Option<&'a str>,
    /// The messaging operation type (`send`, `publish`, `create`, `receive`, ...).
    pub messaging_operation: Option<&'a str>,
    /// The messaging destination.
    pub messaging_destination: Option<&'a str>,
    /// What went in: model input messages or OpenInference `input.value`.
    pub input: Option<&'a str>,
    /// What came out: model output messages, the tool result, or `output.value`.
    pub output: Option<&'a str>,
    /// The task text handed to a delegate (`reshimu.contraction`).
    pub contraction: Option<&'a str>,
    /// `reshimu.intent.id`: the intent in force.
    pub intent_id: Option<&'a str>,
    /// `reshimu.intent.parent_id`: set on the declaring span of a contraction.
    pub parent_intent_id: Option<&'a str>,
    /// The session: `reshimu.session.id`, else `gen_ai.conversation.id`, else `session.id`.
    pub session_id: Option<&'a str>,
    /// The bullets, when the span declares an intent.
    pub declared: DeclaredBullets<'a>,
    model: Option<&'a str>,
}

impl<'a> SpanView<'a> {
    /// Builds the view from a span name and its attributes as `(key, value)` string pairs.
    ///
    /// Non-string attributes should be passed in their string form; array-valued
    /// ones (guards) are not needed here.
    pub fn from_attributes<I>(name: &'a str, attributes: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut v = SpanView {
            name,
            ..SpanView::default()
        };
        let mut conversation_id = None;
        let mut generic_session_id = None;
        let mut graph_node = None;
        let mut framework_kind = None;
        let mut db_system = false;
        for (key, value) in attributes {
            match key {
                attr::INTENT_ID => v.intent_id = Some(value),
                attr::INTENT_PARENT_ID => v.parent_intent_id = Some(value),
                attr::SESSION_ID => v.session_id = Some(value),
                attr::CONTRACTION => v.contraction = Some(value),
                attr::INTENT_OBJECTIVE => v.declared.objective = Some(value),
                attr::INTENT_SCOPE => v.declared.scope = Some(value),
                attr::INTENT_CONSTRAINTS => v.declared.constraints = Some(value),
                foreign::GEN_AI_CONVERSATION_ID => conversation_id = Some(value),
                foreign::SESSION_ID => generic_session_id = Some(value),
                foreign::GEN_AI_OPERATION_NAME => {
                    framework_kind = framework_kind.or(gen_ai_operation_kind(value))
                }
                foreign::OPENINFERENCE_SPAN_KIND => {
                    framework_kind = openinference_kind(value).or(framework_kind)
                }
                foreign::GEN_AI_AGENT_NAME => v.agent = Some(value),
                foreign::GRAPH_NODE_ID => graph_node = Some(value),
                foreign::GEN_AI_TOOL_NAME | foreign::TOOL_NAME => v.tool_name = Some(value),
                foreign::GEN_AI_TOOL_CALL_ARGUMENTS => v.tool_arguments = Some(value),
                foreign::GEN_AI_INPUT_MESSAGES | foreign::INPUT_VALUE => v.input = Some(value),
                foreign::GEN_AI_OUTPUT_MESSAGES
                | foreign::OUTPUT_VALUE
                | extra::GEN_AI_TOOL_CALL_RESULT => v.output = Some(value),
                foreign::DB_QUERY_TEXT => v.sql = Some(value),
                extra::DB_STATEMENT => v.sql = v.sql.or(Some(value)),
                foreign::DB_OPERATION_NAME => v.db_operation = Some(value),
                extra::DB_OPERATION => v.db_operation = v.db_operation.or(Some(value)),
                extra::DB_SYSTEM_NAME | extra::DB_SYSTEM => db_system = true,
                foreign::HTTP_REQUEST_METHOD => v.http_method = Some(value),
                extra::HTTP_METHOD => v.http_method = v.http_method.or(Some(value)),
                foreign::URL_FULL => v.url = Some(value),
                extra::HTTP_URL => v.url = v.url.or(Some(value)),
                foreign::MESSAGING_OPERATION_TYPE => v.messaging_operation = Some(value),
                extra::MESSAGING_DESTINATION_NAME => v.messaging_destination = Some(value),
                extra::GEN_AI_REQUEST_MODEL | extra::LLM_MODEL_NAME => {
                    v.model = v.model.or(Some(value))
                }
                _ => {}
            }
        }
        v.agent = v.agent.or(graph_node);
        // OpenInference records a tool call's arguments as the span's input.
        let oi_tool = framework_kind == Some(ActionKind::Tool) || v.tool_name.is_some();
        if v.tool_arguments.is_none() && oi_tool {
            v.tool_arguments = v.input;
        }
        v.session_id = v.session_id.or(conversation_id).or(generic_session_id);
        let explicit_sql = v.sql.is_some();
        if v.sql.is_none() {
            v.sql = v.tool_arguments.and_then(sql_in_arguments);
        }

        // Protocol-level evidence (a statement, a request, a message) names the
        // side effect precisely, so it outranks the framework's own label
        // whatever the attribute order; a tool whose SQL was dug out of its
        // arguments stays a tool (its name is the better action name).
        let protocol_kind = if explicit_sql {
            Some(ActionKind::Sql)
        } else if v.http_method.is_some() {
            Some(ActionKind::Http)
        } else if v.messaging_operation.is_some() {
            Some(ActionKind::Message)
        } else {
            None
        };
        v.kind = match (protocol_kind, framework_kind) {
            (Some(k), _) | (None, Some(k)) => k,
            (None, None) if v.tool_name.is_some() => ActionKind::Tool,
            (None, None) if v.contraction.is_some() || v.declared.is_declaration() => {
                ActionKind::Agent
            }
            (None, None) if db_system => ActionKind::Sql,
            (None, None) => ActionKind::Other,
        };
        v
    }

    /// The `ActionName` column: the tool, the database operation (or the SQL's
    /// leading verb), the HTTP method, the messaging operation, the agent or the
    /// model; the span name when nothing more specific is known.
    pub fn action_name(&self) -> &'a str {
        let pick = match self.kind {
            ActionKind::Tool => self.tool_name,
            ActionKind::Sql => self
                .db_operation
                .or_else(|| self.sql.and_then(leading_word)),
            ActionKind::Http => self.http_method,
            ActionKind::Message => self.messaging_operation,
            ActionKind::Agent => self.agent,
            ActionKind::Llm => self.model,
            ActionKind::Other => self.tool_name,
        };
        pick.unwrap_or(self.name)
    }

    /// The model name of an LLM span, when recorded.
    pub fn model(&self) -> Option<&'a str> {
        self.model
    }

    /// True when the span declares an intent of its own.
    pub fn declares_intent(&self) -> bool {
        self.declared.is_declaration()
    }
}

fn gen_ai_operation_kind(op: &str) -> Option<ActionKind> {
    Some(match op {
        "execute_tool" => ActionKind::Tool,
        "chat" | "text_completion" | "generate_content" | "embeddings" => ActionKind::Llm,
        "invoke_agent" | "create_agent" => ActionKind::Agent,
        _ => return None,
    })
}

fn openinference_kind(kind: &str) -> Option<ActionKind> {
    let k = kind.trim();
    Some(if k.eq_ignore_ascii_case("TOOL") {
        ActionKind::Tool
    } else if k.eq_ignore_ascii_case("LLM") || k.eq_ignore_ascii_case("EMBEDDING") {
        ActionKind::Llm
    } else if k.eq_ignore_ascii_case("AGENT") || k.eq_ignore_ascii_case("CHAIN") {
        ActionKind::Agent
    } else {
        return None;
    })
}

/// The first word of a statement, skipping whitespace, `--` and `/* */` comments
/// and opening parentheses.
pub(crate) fn leading_word(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'(') {
            i += 1;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            match text[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return None,
            }
        } else {
            break;
        }
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
        i += 1;
    }
    (i > start).then(|| &text[start..i])
}

/// SQL keywords a statement can start with; used to tell a SQL string in tool
/// arguments from a search query that happens to sit under a `query` key.
const SQL_LEADING: &[&str] = &[
    "select", "with", "insert", "update", "delete", "merge", "upsert", "replace", "alter", "drop",
    "truncate", "create", "grant", "revoke", "explain", "show", "describe", "copy",
];

/// Finds a SQL statement inside JSON tool arguments without building a JSON tree:
/// the string value of the first `"sql"`, `"query"` or `"statement"` key whose
/// text starts with a SQL keyword. The slice is still JSON-escaped, which the
/// SQL checks tolerate (escapes only occur inside literals and whitespace).
fn sql_in_arguments(args: &str) -> Option<&str> {
    for key in ["\"sql\"", "\"query\"", "\"statement\"", "\"sql_query\""] {
        let Some(pos) = args.find(key) else { continue };
        let rest = args[pos + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        let end = json_string_end(rest);
        let candidate = &rest[..end];
        if let Some(word) = leading_word(candidate)
            && SQL_LEADING.iter().any(|k| word.eq_ignore_ascii_case(k))
            && looks_like_sql(candidate)
        {
            return Some(candidate);
        }
    }
    None
}

/// Keywords that accompany a statement's verb. A search phrase that starts with
/// "update" or "show" has none of them; real SQL has at least one.
const SQL_SECOND: &[&str] = &[
    "from",
    "set",
    "into",
    "values",
    "table",
    "tables",
    "where",
    "join",
    "as",
    "by",
    "columns",
    "database",
    "databases",
    "index",
    "view",
    "schema",
];

fn looks_like_sql(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .skip(1)
        .any(|w| SQL_SECOND.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

/// Index of the closing quote of a JSON string body (or the end of the text).
fn json_string_end(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_ai_tool_span() {
        let v = SpanView::from_attributes(
            "execute_tool lookup_customer",
            [
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "lookup_customer"),
                ("gen_ai.agent.name", "support"),
                ("gen_ai.tool.call.arguments", r#"{"id": 42}"#),
                ("gen_ai.tool.call.result", r#"{"name": "Ada"}"#),
                ("test.label", "violation"),
                ("reshimu.intent.id", "i-1"),
            ],
        );
        assert_eq!(v.kind, ActionKind::Tool);
        assert_eq!(v.action_name(), "lookup_customer");
        assert_eq!(v.agent, Some("support"));
        assert_eq!(v.output, Some(r#"{"name": "Ada"}"#));
        assert_eq!(v.intent_id, Some("i-1"));
        assert!(v.sql.is_none());
    }

    #[test]
    fn db_keys_make_a_sql_span_and_legacy_keys_are_fallbacks() {
        let v = SpanView::from_attributes(
            "SELECT customers",
            [
                ("db.statement", "DELETE FROM x"),
                ("db.query.text", "SELECT * FROM customers"),
                ("db.system.name", "postgresql"),
            ],
        );
        assert_eq!(v.kind, ActionKind::Sql);
        assert_eq!(v.sql, Some("SELECT * FROM customers"));
        assert_eq!(v.action_name(), "SELECT");
    }

    #[test]
    fn sql_inside_tool_arguments_is_found_but_search_queries_are_not() {
        let v = SpanView::from_attributes(
            "execute_tool run_sql",
            [
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "run_sql"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"query": "UPDATE t SET a = \"x\"", "db": "crm"}"#,
                ),
            ],
        );
        assert_eq!(v.kind, ActionKind::Tool);
        assert_eq!(v.sql, Some(r#"UPDATE t SET a = \"x\""#));

        let v = SpanView::from_attributes(
            "execute_tool web_search",
            [
                ("gen_ai.tool.name", "web_search"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"query": "update on flights to Lisbon"}"#,
                ),
            ],
        );
        assert_eq!(v.sql, None);
    }

    #[test]
    fn openinference_and_http_and_messaging() {
        let v = SpanView::from_attributes(
            "tool",
            [
                ("openinference.span.kind", "TOOL"),
                ("tool.name", "send_email"),
                ("input.value", r#"{"to": "a@b.example"}"#),
            ],
        );
        assert_eq!(v.tool_arguments, Some(r#"{"to": "a@b.example"}"#));

        let v = SpanView::from_attributes(
            "agent",
            [
                ("openinference.span.kind", "AGENT"),
                ("graph.node.id", "planner"),
                ("input.value", "plan"),
                ("session.id", "s-9"),
            ],
        );
        assert_eq!(
            (v.kind, v.agent, v.session_id),
            (ActionKind::Agent, Some("planner"), Some("s-9"))
        );

        let v = SpanView::from_attributes(
            "POST",
            [
                ("http.request.method", "POST"),
                ("url.full", "https://api.example.com/x"),
            ],
        );
        assert_eq!((v.kind, v.action_name()), (ActionKind::Http, "POST"));

        let v = SpanView::from_attributes("send", [("messaging.operation.type", "send")]);
        assert_eq!(v.kind, ActionKind::Message);
    }

    #[test]
    fn session_fallback_order_and_declaration() {
        let v = SpanView::from_attributes(
            "delegate",
            [
                ("session.id", "c"),
                ("gen_ai.conversation.id", "b"),
                ("reshimu.intent.objective", "audit"),
                ("reshimu.intent.parent_id", "root"),
            ],
        );
        assert_eq!(v.session_id, Some("b"));
        assert!(v.declares_intent());
        assert_eq!(v.kind, ActionKind::Agent);
        let v = SpanView::from_attributes(
            "x",
            [("gen_ai.conversation.id", "b"), ("reshimu.session.id", "a")],
        );
        assert_eq!(v.session_id, Some("a"));
        assert_eq!(v.kind, ActionKind::Other);
        assert_eq!(v.action_name(), "x");
    }

    #[test]
    fn leading_word_skips_comments() {
        assert_eq!(leading_word("  -- hi\n /* x */ (select 1)"), Some("select"));
        assert_eq!(leading_word("/* open"), None);
        assert_eq!(leading_word(""), None);
    }
}
