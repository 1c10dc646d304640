//! A normalized view of one span: what it did, in Reshimu's terms.
//!
//! Agent systems describe the same action in several vocabularies (Reshimu's own
//! `reshimu.*` keys, OTel GenAI, OpenInference, LangChain and OpenAI objects
//! serialized into attributes, the database, HTTP and messaging conventions).
//! [`SpanView`] folds them into one shape so the scorer, the collector and the
//! exporter agree on what a span *is*. This is the single place where span
//! normalization lives; nothing else should interpret those keys.
//!
//! The view borrows the identifying strings from the caller's attributes
//! (one pass with a `match` on the key); message payloads are parsed once
//! into [`Content`], which separates what the agent was asked, what it was
//! given as data, what it said and which tool calls it proposed.

mod content;
mod flat;
mod payload;
mod sql_text;

pub use content::{Content, Given, Role, ToolCall};
pub(crate) use sql_text::{leading_word, sql_in_prose, sql_in_text};

use std::borrow::Cow;

use crate::attr::{self, foreign};
use flat::FlatMessages;
use payload::{Reading, Side};

/// Keys read here that the shared registry in [`crate::attr::foreign`] does not
/// (yet) list. Kept private: only normalization needs them.
mod extra {
    /// OTel GenAI: the tool call's result.
    pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
    /// OTel GenAI: system instructions, apart from the messages.
    pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
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
    /// Messaging: the messaging system (`kafka`, `rabbitmq`, `aws_sqs`, ...).
    pub const MESSAGING_SYSTEM: &str = "messaging.system";
    /// OpenInference: the LLM's model name.
    pub const LLM_MODEL_NAME: &str = "llm.model_name";
    /// OpenInference: the agent a span belongs to.
    pub const AGENT_NAME: &str = "agent.name";
    /// OpenInference: mime type of `input.value`.
    pub const INPUT_MIME_TYPE: &str = "input.mime_type";
    /// OpenInference: mime type of `output.value`.
    pub const OUTPUT_MIME_TYPE: &str = "output.mime_type";
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
    /// Anything else (framework plumbing: chains, prompts, routers, retrievers).
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

/// A normalized view of one span.
///
/// Attributes the view does not know, including test labels such as
/// `test.label`, are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpanView<'a> {
    /// The span name.
    pub name: &'a str,
    /// The agent that ran the span (`gen_ai.agent.name`, OpenInference
    /// `agent.name`, else `graph.node.id`).
    pub agent: Option<&'a str>,
    /// The kind of action.
    pub kind: ActionKind,
    /// The tool name (`gen_ai.tool.name` or `tool.name`).
    pub tool_name: Option<&'a str>,
    /// The tool call's arguments: JSON text or a bare string
    /// (`gen_ai.tool.call.arguments`, or `input.value` on a tool span).
    pub tool_arguments: Option<&'a str>,
    /// The SQL text: `db.query.text`, `db.statement`, or a statement found in
    /// the tool arguments (any key, nested JSON, or a bare string).
    pub sql: Option<Cow<'a, str>>,
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
    /// The messaging system (`messaging.system`).
    pub messaging_system: Option<&'a str>,
    /// The raw input attribute (model input messages or `input.value`).
    pub input: Option<&'a str>,
    /// The raw output attribute (model output messages, the tool result, or `output.value`).
    pub output: Option<&'a str>,
    /// The span's messages, by who produced them.
    pub content: Content<'a>,
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

/// Attribute values gathered in the one pass, before they are interpreted.
#[derive(Default)]
struct Raw<'a> {
    conversation_id: Option<&'a str>,
    generic_session_id: Option<&'a str>,
    graph_node: Option<&'a str>,
    oi_agent: Option<&'a str>,
    gen_ai_kind: Option<ActionKind>,
    oi_kind: Option<&'a str>,
    db_system: bool,
    gen_ai_input: Option<&'a str>,
    gen_ai_output: Option<&'a str>,
    system_instructions: Option<&'a str>,
    input_value: Option<&'a str>,
    output_value: Option<&'a str>,
    input_mime: Option<&'a str>,
    output_mime: Option<&'a str>,
    tool_result: Option<&'a str>,
    flat: FlatMessages<'a>,
}

impl<'a> SpanView<'a> {
    /// Builds the view from a span name and its attributes as `(key, value)` string pairs.
    ///
    /// Non-string attributes should be passed in their string form; array-valued
    /// ones (guards) are not needed here.
    ///
    /// ```
    /// use reshimu_intent::span::{ActionKind, SpanView};
    /// let v = SpanView::from_attributes("chat gpt-4.1", [
    ///     ("gen_ai.operation.name", "chat"),
    ///     ("gen_ai.output.messages", r#"[{"role":"assistant","parts":[
    ///         {"type":"tool_call","name":"send_email","arguments":{"to":"a@b.example"}}]}]"#),
    /// ]);
    /// assert_eq!(v.kind, ActionKind::Llm);
    /// assert_eq!(v.content.proposed[0].name, "send_email");
    /// ```
    pub fn from_attributes<I>(name: &'a str, attributes: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut v = SpanView {
            name,
            ..SpanView::default()
        };
        let mut r = Raw::default();
        for (key, value) in attributes {
            match key {
                attr::INTENT_ID => v.intent_id = Some(value),
                attr::INTENT_PARENT_ID => v.parent_intent_id = Some(value),
                attr::SESSION_ID => v.session_id = Some(value),
                attr::CONTRACTION => v.contraction = Some(value),
                attr::INTENT_OBJECTIVE => v.declared.objective = Some(value),
                attr::INTENT_SCOPE => v.declared.scope = Some(value),
                attr::INTENT_CONSTRAINTS => v.declared.constraints = Some(value),
                foreign::GEN_AI_CONVERSATION_ID => r.conversation_id = Some(value),
                foreign::SESSION_ID => r.generic_session_id = Some(value),
                foreign::GEN_AI_OPERATION_NAME => r.gen_ai_kind = gen_ai_operation_kind(value),
                foreign::OPENINFERENCE_SPAN_KIND => r.oi_kind = Some(value),
                foreign::GEN_AI_AGENT_NAME => v.agent = Some(value),
                extra::AGENT_NAME => r.oi_agent = Some(value),
                foreign::GRAPH_NODE_ID => r.graph_node = Some(value),
                foreign::GEN_AI_TOOL_NAME | foreign::TOOL_NAME => v.tool_name = Some(value),
                foreign::GEN_AI_TOOL_CALL_ARGUMENTS => v.tool_arguments = Some(value),
                foreign::GEN_AI_INPUT_MESSAGES => r.gen_ai_input = Some(value),
                foreign::GEN_AI_OUTPUT_MESSAGES => r.gen_ai_output = Some(value),
                extra::GEN_AI_SYSTEM_INSTRUCTIONS => r.system_instructions = Some(value),
                foreign::INPUT_VALUE => r.input_value = Some(value),
                foreign::OUTPUT_VALUE => r.output_value = Some(value),
                extra::INPUT_MIME_TYPE => r.input_mime = Some(value),
                extra::OUTPUT_MIME_TYPE => r.output_mime = Some(value),
                extra::GEN_AI_TOOL_CALL_RESULT => r.tool_result = Some(value),
                foreign::DB_QUERY_TEXT => v.sql = Some(Cow::Borrowed(value)),
                extra::DB_STATEMENT if v.sql.is_none() => {
                    v.sql = Some(Cow::Borrowed(value));
                }
                foreign::DB_OPERATION_NAME => v.db_operation = Some(value),
                extra::DB_OPERATION => v.db_operation = v.db_operation.or(Some(value)),
                extra::DB_SYSTEM_NAME | extra::DB_SYSTEM => r.db_system = true,
                foreign::HTTP_REQUEST_METHOD => v.http_method = Some(value),
                extra::HTTP_METHOD => v.http_method = v.http_method.or(Some(value)),
                foreign::URL_FULL => v.url = Some(value),
                extra::HTTP_URL => v.url = v.url.or(Some(value)),
                foreign::MESSAGING_OPERATION_TYPE => v.messaging_operation = Some(value),
                extra::MESSAGING_DESTINATION_NAME => v.messaging_destination = Some(value),
                extra::MESSAGING_SYSTEM => v.messaging_system = Some(value),
                extra::GEN_AI_REQUEST_MODEL | extra::LLM_MODEL_NAME => {
                    v.model = v.model.or(Some(value))
                }
                k if k.starts_with("llm.")
                    || k.starts_with("gen_ai.prompt.")
                    || k.starts_with("gen_ai.completion.")
                    || k.starts_with("retrieval.documents.") =>
                {
                    r.flat.add(k, value)
                }
                _ => {}
            }
        }
        v.agent = v.agent.or(r.oi_agent).or(r.graph_node);
        v.session_id = v.session_id.or(r.conversation_id).or(r.generic_session_id);
        v.input = r.gen_ai_input.or(r.input_value);
        v.output = r.gen_ai_output.or(r.tool_result).or(r.output_value);

        let oi_kind = r.oi_kind.map(openinference_kind);
        let framework_kind = match (oi_kind, r.gen_ai_kind) {
            (Some(OpenInference::Known(k)), _) => Some(k),
            (_, k @ Some(_)) => k,
            (Some(OpenInference::Chain), None) => None,
            (Some(OpenInference::Unknown), None) | (None, None) => None,
        };
        // OpenInference records a tool call's arguments as the span's input.
        let is_tool = framework_kind == Some(ActionKind::Tool)
            || (framework_kind.is_none() && v.tool_name.is_some());
        if v.tool_arguments.is_none() && is_tool {
            v.tool_arguments = r.input_value;
        }
        let explicit_sql = v.sql.is_some();
        if v.sql.is_none() {
            v.sql = v.tool_arguments.and_then(sql_in_text);
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
        let delegates = v.contraction.is_some() || v.declared.is_declaration();
        v.kind = match (protocol_kind, framework_kind) {
            (Some(k), _) | (None, Some(k)) => k,
            // A chain is plumbing unless it is where an agent starts.
            (None, None) if delegates || r.oi_agent.is_some() && r.oi_kind.is_some() => {
                ActionKind::Agent
            }
            (None, None) if v.tool_name.is_some() => ActionKind::Tool,
            (None, None) if r.db_system => ActionKind::Sql,
            (None, None) => ActionKind::Other,
        };
        v.content = read_content(&v, &r);
        v
    }

    /// The `ActionName` column: the tool, the database operation (or the SQL's
    /// leading verb), the HTTP method, the messaging operation, the agent or the
    /// model; the span name when nothing more specific is known.
    pub fn action_name(&self) -> &str {
        let pick = match self.kind {
            ActionKind::Tool => self.tool_name,
            ActionKind::Sql => self
                .db_operation
                .or_else(|| self.sql.as_deref().and_then(leading_word)),
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

    /// Whether a model call carries no message content at all (the
    /// instrumentation was not told to capture it): such a span cannot be
    /// judged on what it said.
    pub fn lacks_content(&self) -> bool {
        self.kind == ActionKind::Llm && self.content.is_empty()
    }
}

/// Files the span's message payloads by who produced them.
fn read_content<'a>(v: &SpanView<'a>, r: &Raw<'a>) -> Content<'a> {
    let mut c = Content::default();
    let model_call = v.kind == ActionKind::Llm;
    if let Some(s) = r.system_instructions {
        payload::read(
            s,
            None,
            Reading {
                side: Side::Input,
                plain: Role::System,
                proposes: false,
            },
            &mut c,
        );
    }
    let input = Reading {
        side: Side::Input,
        plain: Role::User,
        proposes: false,
    };
    let output = Reading {
        side: Side::Output,
        plain: Role::Assistant,
        proposes: model_call,
    };
    let flat_in = r.flat.has_input();
    let flat_out = r.flat.has_output();
    r.flat.read_into(&mut c, model_call);
    if let Some(t) = r.gen_ai_input {
        payload::read(t, None, input, &mut c);
    }
    if let Some(t) = r.gen_ai_output {
        payload::read(t, None, output, &mut c);
    }
    match v.kind {
        // A tool's input is its arguments (kept apart) and its output is what
        // the world answered: data, not the agent's words.
        ActionKind::Tool => {
            if let Some(t) = r.tool_result.or(r.output_value) {
                c.given.push(Given {
                    tool: v.tool_name.map(Cow::Borrowed),
                    text: Cow::Borrowed(t),
                });
            }
        }
        _ => {
            if let Some(t) = r
                .input_value
                .filter(|_| !flat_in && r.gen_ai_input.is_none())
            {
                payload::read(t, r.input_mime, input, &mut c);
            }
            if let Some(t) = r
                .output_value
                .filter(|_| !flat_out && r.gen_ai_output.is_none())
            {
                let retrieves = r.oi_kind.is_some_and(|k| {
                    k.eq_ignore_ascii_case("RETRIEVER") || k.eq_ignore_ascii_case("RERANKER")
                });
                let reading =
                    if retrieves || v.kind == ActionKind::Sql || v.kind == ActionKind::Http {
                        Reading {
                            plain: Role::Tool,
                            ..output
                        }
                    } else {
                        output
                    };
                payload::read(t, r.output_mime, reading, &mut c);
            }
            if let Some(t) = r.tool_result {
                c.given.push(Given {
                    tool: None,
                    text: Cow::Borrowed(t),
                });
            }
        }
    }
    c
}

fn gen_ai_operation_kind(op: &str) -> Option<ActionKind> {
    Some(match op {
        "execute_tool" => ActionKind::Tool,
        "chat" | "text_completion" | "generate_content" | "embeddings" => ActionKind::Llm,
        "invoke_agent" | "create_agent" => ActionKind::Agent,
        _ => return None,
    })
}

/// An OpenInference span kind.
enum OpenInference {
    /// Maps to one action kind.
    Known(ActionKind),
    /// A chain: plumbing, unless it is an agent boundary.
    Chain,
    /// Retrievers, rerankers, guardrails, evaluators and unknown kinds.
    Unknown,
}

fn openinference_kind(kind: &str) -> OpenInference {
    let k = kind.trim();
    let is = |s: &str| k.eq_ignore_ascii_case(s);
    if is("TOOL") {
        OpenInference::Known(ActionKind::Tool)
    } else if is("LLM") || is("EMBEDDING") {
        OpenInference::Known(ActionKind::Llm)
    } else if is("AGENT") {
        OpenInference::Known(ActionKind::Agent)
    } else if is("CHAIN") {
        OpenInference::Chain
    } else {
        OpenInference::Unknown
    }
}

#[cfg(test)]
mod tests;
