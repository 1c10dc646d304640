//! Message payloads in JSON: OTel GenAI `gen_ai.*.messages`, LangChain
//! messages and `LLMResult`s, Chat Completions and Responses API objects,
//! LangGraph state, and plain text.
//!
//! One walker reads every convention: they all describe the same things
//! (messages with a role, text parts, tool calls, tool results) under
//! different keys, and the walker knows the keys. It never turns JSON syntax
//! or keys into text: only string values in places that hold text are kept.
//! A payload that is not JSON, or is truncated, is read as text (truncated
//! JSON by its string values, keys skipped).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::content::{Content, Given, Role};

/// Payloads larger than this are not parsed as JSON; their string values are
/// read lexically from the head instead (bounded cost per span).
const MAX_PARSED_BYTES: usize = 64 * 1024;

/// Which side of a span a payload is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// What went in.
    Input,
    /// What came out.
    Output,
}

/// How to file text that carries no role of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// The payload's side.
    pub side: Side,
    /// Role of role-less text (a user request on input, the agent's own
    /// words on output; a tool result on a tool span's output).
    pub plain: Role,
    /// Whether tool calls found on the output side are this span's
    /// decisions (a model call) or echoes of earlier ones (framework state).
    pub proposes: bool,
}

/// Reads one payload into `content`. `mime` is the OpenInference mime type,
/// when the span says one.
pub(crate) fn read<'a>(text: &'a str, mime: Option<&str>, how: Reading, content: &mut Content<'a>) {
    let trimmed = text.trim_start();
    let says_json = mime.is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    let says_text = mime.is_some_and(|m| m.trim().starts_with("text/"));
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if says_text || !(says_json || looks_json) {
        file_plain(Cow::Borrowed(text), how, None, content);
        return;
    }
    if text.len() <= MAX_PARSED_BYTES
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        walk(&value, how, content);
        return;
    }
    // Not JSON after all, truncated, or too big to parse: its string values.
    let strings = json_string_values(crate::text::prefix(text, MAX_PARSED_BYTES));
    if !strings.trim().is_empty() {
        file_plain(Cow::Owned(strings), how, None, content);
    }
}

fn file_plain<'a>(
    text: Cow<'a, str>,
    how: Reading,
    tool: Option<Cow<'a, str>>,
    c: &mut Content<'a>,
) {
    match (how.side, how.plain) {
        (_, Role::Tool) => {
            if !text.trim().is_empty() {
                c.given.push(Given { tool, text });
            }
        }
        (Side::Output, Role::Assistant) => c.add_output(text),
        (_, role) => c.add_input(role, text),
    }
}

/// Walks a parsed payload.
fn walk<'a>(v: &Value, how: Reading, c: &mut Content<'a>) {
    match v {
        Value::String(s) => file_plain(Cow::Owned(s.clone()), how, None, c),
        Value::Array(items) => {
            for item in items {
                walk_item(item, how, c);
            }
        }
        Value::Object(o) => walk_object(o, how, c),
        _ => {}
    }
}

/// An element of a top-level array: a message, a nested batch of messages
/// (LangChain's `[[...]]`), or data.
fn walk_item<'a>(v: &Value, how: Reading, c: &mut Content<'a>) {
    match v {
        Value::Array(_) => walk(v, how, c),
        // A bare text part: `{"type": "text", "content": "..."}`.
        Value::Object(o)
            if o.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| matches!(t, "text" | "input_text" | "output_text")) =>
        {
            if let Some(t) = o
                .get("content")
                .or_else(|| o.get("text"))
                .and_then(Value::as_str)
            {
                file_plain(Cow::Owned(t.to_owned()), how, None, c);
            }
        }
        Value::Object(o) if is_message(o) => message(o, how, c),
        Value::Object(o) => walk_object(o, how, c),
        Value::String(s) => file_plain(Cow::Owned(s.clone()), how, None, c),
        _ => {}
    }
}

fn walk_object<'a>(o: &Map<String, Value>, how: Reading, c: &mut Content<'a>) {
    // LangChain LLMResult: generations[][] of {text, message}.
    if let Some(Value::Array(generations)) = o.get("generations") {
        let model = Reading {
            plain: Role::Assistant,
            ..how
        };
        for g in generations.iter().flat_map(flatten) {
            let Value::Object(g) = g else { continue };
            match g.get("message") {
                Some(Value::Object(m)) => message_as(m, Some(Role::Assistant), model, c),
                _ => {
                    if let Some(t) = g.get("text").and_then(Value::as_str) {
                        c.add_output(Cow::Owned(t.to_owned()));
                    }
                }
            }
        }
        return;
    }
    // Chat Completions: choices[].message (or .text for completions).
    if let Some(Value::Array(choices)) = o.get("choices") {
        for ch in choices {
            let Value::Object(ch) = ch else { continue };
            match ch.get("message").or_else(|| ch.get("delta")) {
                Some(Value::Object(m)) => message_as(m, Some(Role::Assistant), how, c),
                _ => {
                    if let Some(t) = ch.get("text").and_then(Value::as_str) {
                        c.add_output(Cow::Owned(t.to_owned()));
                    }
                }
            }
        }
        return;
    }
    // Responses API: output[] items, instructions, input.
    let responses = o.get("object").and_then(Value::as_str) == Some("response")
        || matches!(o.get("output"), Some(Value::Array(_)));
    if responses {
        if let Some(Value::Array(items)) = o.get("output") {
            for item in items {
                if let Value::Object(item) = item {
                    response_item(item, Side::Output, how, c);
                }
            }
        }
        if how.side == Side::Input
            && let Some(t) = o.get("instructions").and_then(Value::as_str)
        {
            c.add_input(Role::System, Cow::Owned(t.to_owned()));
        }
        if let Some(input) = o.get("input") {
            responses_input(input, how, c);
        }
        return;
    }
    if let Some(messages) = o.get("messages").filter(|m| m.is_array()) {
        walk(messages, how, c);
        if let Some(t) = o.get("instructions").and_then(Value::as_str) {
            c.add_input(Role::System, Cow::Owned(t.to_owned()));
        }
        return;
    }
    if o.contains_key("input") && (o.contains_key("instructions") || o.contains_key("model")) {
        if let Some(t) = o.get("instructions").and_then(Value::as_str) {
            c.add_input(Role::System, Cow::Owned(t.to_owned()));
        }
        if let Some(input) = o.get("input") {
            responses_input(input, how, c);
        }
        return;
    }
    if is_message(o) {
        message(o, how, c);
        return;
    }
    // Data: its values, never its keys.
    let mut text = String::new();
    collect_strings(&Value::Object(o.clone()), &mut text);
    if !text.trim().is_empty() {
        let raw = Value::Object(o.clone()).to_string();
        match how.plain {
            // A tool result keeps its JSON: values are found by content later.
            Role::Tool => file_plain(Cow::Owned(raw), how, None, c),
            _ => file_plain(Cow::Owned(text), how, None, c),
        }
    }
}

fn responses_input<'a>(input: &Value, how: Reading, c: &mut Content<'a>) {
    let on_input = Reading {
        side: Side::Input,
        plain: Role::User,
        proposes: false,
    };
    match input {
        Value::String(s) => c.add_input(Role::User, Cow::Owned(s.clone())),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(o) if o.contains_key("role") => message(o, on_input, c),
                    Value::Object(o) => response_item(o, Side::Input, how, c),
                    Value::String(s) => c.add_input(Role::User, Cow::Owned(s.clone())),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// One Responses API item: a message, a function call, a function call's output.
fn response_item<'a>(item: &Map<String, Value>, side: Side, how: Reading, c: &mut Content<'a>) {
    match item.get("type").and_then(Value::as_str).unwrap_or("") {
        "function_call" | "tool_call" | "custom_tool_call" => {
            if side == Side::Output && how.proposes {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    c.propose(
                        Cow::Owned(name.to_owned()),
                        arguments(item.get("arguments").or_else(|| item.get("input"))),
                    );
                }
            }
        }
        "function_call_output" | "tool_call_output" | "custom_tool_call_output" => {
            if let Some(out) = item.get("output") {
                c.given.push(Given {
                    tool: None,
                    text: Cow::Owned(value_text(out)),
                });
            }
        }
        "reasoning" => {}
        _ => {
            let role = if side == Side::Output {
                Some(Role::Assistant)
            } else {
                None
            };
            let reading = Reading { side, ..how };
            message_as(item, role, reading, c);
        }
    }
}

/// Whether an object has the shape of a message in some convention.
fn is_message(o: &Map<String, Value>) -> bool {
    o.contains_key("role")
        || o.contains_key("parts")
        || o.get("kwargs").is_some_and(Value::is_object)
        || o.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| Role::parse(t).is_some())
}

fn message<'a>(o: &Map<String, Value>, how: Reading, c: &mut Content<'a>) {
    message_as(o, None, how, c);
}

/// Files one message. `forced` is the role when the container says whose
/// message it is (a model's generation), whatever the message claims.
fn message_as<'a>(o: &Map<String, Value>, forced: Option<Role>, how: Reading, c: &mut Content<'a>) {
    // LangChain serializes messages as {lc, type: "constructor", id: [..., "AIMessage"], kwargs}.
    let kwargs = o.get("kwargs").and_then(Value::as_object);
    let body = kwargs.unwrap_or(o);
    let role = forced.or_else(|| {
        o.get("role")
            .or_else(|| body.get("role"))
            .and_then(Value::as_str)
            .and_then(Role::parse)
            .or_else(|| {
                body.get("type")
                    .or_else(|| o.get("type"))
                    .and_then(Value::as_str)
                    .and_then(Role::parse)
            })
            .or_else(|| {
                o.get("id")
                    .and_then(Value::as_array)
                    .and_then(|id| id.last())
                    .and_then(Value::as_str)
                    .and_then(Role::parse)
            })
    });
    let role = role.unwrap_or(match how.side {
        Side::Input => how.plain,
        Side::Output => Role::Assistant,
    });

    let mut texts: Vec<String> = Vec::new();
    let mut calls: Vec<(String, Cow<'static, str>)> = Vec::new();
    let mut results: Vec<String> = Vec::new();
    match body.get("content") {
        Some(Value::String(s)) => texts.push(s.clone()),
        Some(Value::Array(parts)) => parts_into(parts, &mut texts, &mut calls, &mut results),
        Some(Value::Null) | None => {}
        Some(other) => texts.push(value_text(other)),
    }
    if let Some(Value::Array(parts)) = body.get("parts") {
        parts_into(parts, &mut texts, &mut calls, &mut results);
    }
    for key in ["tool_calls", "function_call"] {
        tool_calls_into(body.get(key), &mut calls);
        if let Some(extra) = body.get("additional_kwargs").and_then(Value::as_object) {
            tool_calls_into(extra.get(key), &mut calls);
        }
    }

    let on_output = how.side == Side::Output;
    for t in texts {
        match role {
            Role::Assistant if on_output => c.add_output(Cow::Owned(t)),
            Role::Tool => c.given.push(Given {
                tool: body
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| Cow::Owned(n.to_owned())),
                text: Cow::Owned(t),
            }),
            r => c.add_input(r, Cow::Owned(t)),
        }
    }
    for r in results {
        c.given.push(Given {
            tool: None,
            text: Cow::Owned(r),
        });
    }
    if on_output && role == Role::Assistant && how.proposes {
        for (name, args) in calls {
            c.propose(Cow::Owned(name), args);
        }
    }
}

/// Message parts of any convention: GenAI `{type: text, content}`,
/// `{type: tool_call, name, arguments}`, `{type: tool_call_response, response}`;
/// OpenAI `{type: text | input_text | output_text, text}`; Anthropic
/// `{type: tool_use, name, input}` and `{type: tool_result, content}`.
fn parts_into(
    parts: &[Value],
    texts: &mut Vec<String>,
    calls: &mut Vec<(String, Cow<'static, str>)>,
    results: &mut Vec<String>,
) {
    for p in parts {
        let Value::Object(p) = p else {
            if let Value::String(s) = p {
                texts.push(s.clone());
            }
            continue;
        };
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("text");
        match kind {
            "tool_call" | "tool_use" | "function_call" | "server_tool_call" => {
                if let Some(name) = p
                    .get("name")
                    .or_else(|| p.get("function").and_then(|f| f.get("name")))
                    .and_then(Value::as_str)
                {
                    let args = p
                        .get("arguments")
                        .or_else(|| p.get("input"))
                        .or_else(|| p.get("args"))
                        .or_else(|| p.get("function").and_then(|f| f.get("arguments")));
                    calls.push((name.to_owned(), arguments(args)));
                }
            }
            "tool_call_response" | "tool_result" | "function_call_output" => {
                if let Some(r) = p
                    .get("response")
                    .or_else(|| p.get("content"))
                    .or_else(|| p.get("output"))
                    .or_else(|| p.get("result"))
                {
                    results.push(value_text(r));
                }
            }
            "reasoning" | "thinking" | "image" | "image_url" | "blob" | "file" | "uri" => {}
            _ => {
                if let Some(t) = p
                    .get("content")
                    .or_else(|| p.get("text"))
                    .and_then(Value::as_str)
                {
                    texts.push(t.to_owned());
                }
            }
        }
    }
}

/// Tool calls in OpenAI (`{function: {name, arguments}}`), LangChain
/// (`{name, args}`) and plain (`{name, arguments}`) shapes.
fn tool_calls_into(v: Option<&Value>, calls: &mut Vec<(String, Cow<'static, str>)>) {
    let one = |call: &Value, calls: &mut Vec<(String, Cow<'static, str>)>| {
        let f = call.get("function").unwrap_or(call);
        if let Some(name) = f.get("name").and_then(Value::as_str) {
            let args = f.get("arguments").or_else(|| f.get("args"));
            calls.push((name.to_owned(), arguments(args)));
        }
    };
    match v {
        Some(Value::Array(list)) => list.iter().for_each(|c| one(c, calls)),
        Some(call @ Value::Object(_)) => one(call, calls),
        _ => {}
    }
}

/// Tool-call arguments as text: a string as it is (often JSON itself), any
/// other value as compact JSON.
fn arguments(v: Option<&Value>) -> Cow<'static, str> {
    match v {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(s)) => Cow::Owned(s.clone()),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// A value as text: strings as they are, anything else as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(items) => Box::new(items.iter().flat_map(flatten)),
        other => Box::new(std::iter::once(other)),
    }
}

/// The string values of a JSON value, one per line.
fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// The string values of JSON-ish text, read lexically (keys, the strings
/// followed by `:`, are skipped), one per line, escapes resolved. Works on
/// truncated JSON.
pub(crate) fn json_string_values(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        // Quotes and backslashes are ASCII, so every index the scan stops
        // at is a char boundary; an escape's second byte may not be, so the
        // scan steps over it char-wise.
        let mut value = String::new();
        let mut j = i + 1;
        let mut run = j;
        while j < b.len() && b[j] != b'"' {
            if b[j] == b'\\' {
                value.push_str(&text[run..j]);
                let next = text[j + 1..].chars().next();
                match next {
                    Some('n' | 't' | 'r') => value.push(' '),
                    Some(c @ ('"' | '\\' | '/')) => value.push(c),
                    _ => {}
                }
                j += 1 + next.map_or(0, char::len_utf8);
                run = j;
                continue;
            }
            j += 1;
        }
        value.push_str(&text[run..j.min(b.len())]);
        i = j + 1;
        let after = text.get(i..).unwrap_or("").trim_start();
        if after.starts_with(':') {
            continue; // a key
        }
        if !value.trim().is_empty() {
            out.push_str(&value);
            out.push('\n');
        }
    }
    out
}
