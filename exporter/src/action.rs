//! A proposed action, described with the same attributes its span will carry,
//! so [`Session::check`](crate::Session::check) judges it exactly as the
//! collector will judge the span afterwards.

use reshimu_intent::attr::foreign;

/// An action an agent is about to take: a span name and string attributes in
/// any convention the collector reads (OTel GenAI, OpenInference, database,
/// HTTP, messaging).
///
/// ```
/// use reshimu_exporter::Action;
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

    /// A model call with its input and output messages (JSON text).
    pub fn chat(model: &str, input: impl Into<String>, output: impl Into<String>) -> Action {
        Action::new(format!("chat {model}"))
            .with(foreign::GEN_AI_OPERATION_NAME, "chat")
            .with("gen_ai.request.model", model)
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
}
