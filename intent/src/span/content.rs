//! What a span's messages say, sorted by who said it.
//!
//! The scorer must never confuse what an agent was *given* (tool results,
//! pasted rows, web pages, serialized framework objects) with what it was
//! *asked* (the user's or the delegating agent's words) or what it *said* and
//! *decided* (its own text and the tool calls it proposes). Every convention
//! (OTel GenAI messages, OpenInference flattened messages, LangChain,
//! Chat Completions and Responses API JSON) is folded into [`Content`].

use std::borrow::Cow;

/// Who produced a message, as the conventions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// System or developer instructions (`system`, `developer`).
    System,
    /// The user, or the agent that delegated the task (`user`, `human`).
    User,
    /// The model or agent itself (`assistant`, `ai`, `model`).
    Assistant,
    /// A tool's answer (`tool`, `function`, `ipython`).
    Tool,
}

impl Role {
    /// Reads a role name of any convention; `None` for unknown names.
    pub fn parse(name: &str) -> Option<Role> {
        let n = name.trim();
        let is = |s: &str| n.eq_ignore_ascii_case(s);
        Some(if is("system") || is("developer") {
            Role::System
        } else if is("user") || is("human") || is("humanmessage") {
            Role::User
        } else if is("assistant") || is("ai") || is("model") || is("aimessage") || is("bot") {
            Role::Assistant
        } else if is("tool") || is("function") || is("ipython") || is("toolmessage") {
            Role::Tool
        } else {
            return None;
        })
    }
}

/// Data the agent was given: a tool's result or retrieved content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given<'a> {
    /// The tool that produced it, when known.
    pub tool: Option<Cow<'a, str>>,
    /// The text (JSON or prose) as given.
    pub text: Cow<'a, str>,
}

/// A tool call a model proposed in its output: the decision to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall<'a> {
    /// The tool's name.
    pub name: Cow<'a, str>,
    /// Its arguments: JSON text, or a bare string.
    pub arguments: Cow<'a, str>,
}

/// A span's messages, by who produced them. Empty fields mean "not on this
/// span", not "empty message".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content<'a> {
    /// System and developer instructions.
    pub instructions: Vec<Cow<'a, str>>,
    /// What the agent was asked: user messages, the delegating agent's task.
    pub asked: Vec<Cow<'a, str>>,
    /// Data the agent was given: tool results, retrieved documents.
    pub given: Vec<Given<'a>>,
    /// Earlier turns of the agent itself, replayed as input.
    pub history: Vec<Cow<'a, str>>,
    /// What the agent said in this span: its own text output.
    pub said: Vec<Cow<'a, str>>,
    /// Tool calls proposed in this span's output.
    pub proposed: Vec<ToolCall<'a>>,
}

impl<'a> Content<'a> {
    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.instructions.is_empty()
            && self.asked.is_empty()
            && self.given.is_empty()
            && self.history.is_empty()
            && self.said.is_empty()
            && self.proposed.is_empty()
    }

    /// Files a message read from a span's input.
    pub(crate) fn add_input(&mut self, role: Role, text: Cow<'a, str>) {
        if text.trim().is_empty() {
            return;
        }
        match role {
            Role::System => self.instructions.push(text),
            Role::User => self.asked.push(text),
            Role::Assistant => self.history.push(text),
            Role::Tool => self.given.push(Given { tool: None, text }),
        }
    }

    /// Files a message read from a span's output (a model answers as the
    /// assistant whatever the convention calls it).
    pub(crate) fn add_output(&mut self, text: Cow<'a, str>) {
        if !text.trim().is_empty() {
            self.said.push(text);
        }
    }

    /// Adds a proposed tool call, once (several conventions on one span
    /// often carry the same call twice).
    pub(crate) fn propose(&mut self, name: Cow<'a, str>, arguments: Cow<'a, str>) {
        if name.trim().is_empty() {
            return;
        }
        if !self
            .proposed
            .iter()
            .any(|c| c.name == name && c.arguments == arguments)
        {
            self.proposed.push(ToolCall { name, arguments });
        }
    }
}
