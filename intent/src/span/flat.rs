//! Messages flattened into attribute keys: OpenInference
//! `llm.input_messages.<i>.message.role|content|contents.<j>.message_content.text|tool_calls.<j>.tool_call.function.name|arguments`,
//! OpenLLMetry `gen_ai.prompt.<i>.role|content` and
//! `gen_ai.completion.<i>.content|tool_calls.<j>.name|arguments`, and
//! OpenInference retriever documents `retrieval.documents.<i>.document.content`.

use std::borrow::Cow;

use super::content::{Content, Given, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
    Document,
}

#[derive(Debug, Default)]
struct Message<'a> {
    role: Option<&'a str>,
    texts: Vec<(usize, &'a str)>,
    /// (call index, name, arguments)
    calls: Vec<(usize, Option<&'a str>, Option<&'a str>)>,
}

/// Flattened messages of one span, gathered key by key.
#[derive(Debug, Default)]
pub(super) struct FlatMessages<'a> {
    messages: Vec<(Side, usize, Message<'a>)>,
}

impl<'a> FlatMessages<'a> {
    /// Takes one attribute whose key starts with `llm.`, `gen_ai.prompt.`,
    /// `gen_ai.completion.` or `retrieval.documents.`; other keys are ignored.
    pub(super) fn add(&mut self, key: &'a str, value: &'a str) {
        let (side, rest, openinference) = if let Some(r) = key.strip_prefix("llm.input_messages.") {
            (Side::Input, r, true)
        } else if let Some(r) = key.strip_prefix("llm.output_messages.") {
            (Side::Output, r, true)
        } else if let Some(r) = key.strip_prefix("gen_ai.prompt.") {
            (Side::Input, r, false)
        } else if let Some(r) = key.strip_prefix("gen_ai.completion.") {
            (Side::Output, r, false)
        } else if let Some(r) = key.strip_prefix("retrieval.documents.") {
            (Side::Document, r, false)
        } else {
            return;
        };
        let Some((index, field)) = split_index(rest) else {
            return;
        };
        let field = if openinference {
            match field.strip_prefix("message.") {
                Some(f) => f,
                None => return,
            }
        } else if side == Side::Document {
            match field.strip_prefix("document.") {
                Some(f) => f,
                None => return,
            }
        } else {
            field
        };
        let m = self.message(side, index);
        match field {
            "role" => m.role = Some(value),
            "content" => m.texts.push((0, value)),
            f => {
                if let Some(rest) = f.strip_prefix("contents.") {
                    if let Some((j, tail)) = split_index(rest)
                        && tail == "message_content.text"
                    {
                        m.texts.push((j + 1, value));
                    }
                } else if let Some(rest) = f.strip_prefix("tool_calls.")
                    && let Some((j, tail)) = split_index(rest)
                {
                    let tail = tail.strip_prefix("tool_call.").unwrap_or(tail);
                    let tail = tail.strip_prefix("function.").unwrap_or(tail);
                    let call = match m.calls.iter_mut().find(|c| c.0 == j) {
                        Some(c) => c,
                        None => {
                            m.calls.push((j, None, None));
                            let last = m.calls.len() - 1;
                            &mut m.calls[last]
                        }
                    };
                    match tail {
                        "name" => call.1 = Some(value),
                        "arguments" => call.2 = Some(value),
                        _ => {}
                    }
                }
            }
        }
    }

    fn message(&mut self, side: Side, index: usize) -> &mut Message<'a> {
        let at = match self
            .messages
            .iter()
            .position(|(s, i, _)| *s == side && *i == index)
        {
            Some(at) => at,
            None => {
                self.messages.push((side, index, Message::default()));
                self.messages.len() - 1
            }
        };
        &mut self.messages[at].2
    }

    /// Whether input messages were flattened onto the span.
    pub(super) fn has_input(&self) -> bool {
        self.messages.iter().any(|(s, _, _)| *s == Side::Input)
    }

    /// Whether output messages were flattened onto the span.
    pub(super) fn has_output(&self) -> bool {
        self.messages.iter().any(|(s, _, _)| *s == Side::Output)
    }

    /// Files the messages, in index order. `proposes`: output tool calls are
    /// this span's decisions (a model call).
    pub(super) fn read_into(&self, c: &mut Content<'a>, proposes: bool) {
        let mut order: Vec<&(Side, usize, Message<'a>)> = self.messages.iter().collect();
        order.sort_by_key(|(s, i, _)| (*s as u8, *i));
        for (side, _, m) in order {
            let mut texts = m.texts.clone();
            texts.sort_by_key(|(j, _)| *j);
            match side {
                Side::Document => {
                    for (_, t) in texts {
                        c.given.push(Given {
                            tool: None,
                            text: Cow::Borrowed(t),
                        });
                    }
                }
                Side::Input => {
                    let role = m.role.and_then(Role::parse).unwrap_or(Role::User);
                    for (_, t) in texts {
                        c.add_input(role, Cow::Borrowed(t));
                    }
                }
                Side::Output => {
                    for (_, t) in texts {
                        c.add_output(Cow::Borrowed(t));
                    }
                    if proposes {
                        let mut calls = m.calls.clone();
                        calls.sort_by_key(|(j, _, _)| *j);
                        for (_, name, args) in calls {
                            if let Some(name) = name {
                                c.propose(Cow::Borrowed(name), Cow::Borrowed(args.unwrap_or("")));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `"3.message.role"` -> `(3, "message.role")`.
fn split_index(s: &str) -> Option<(usize, &str)> {
    let (index, rest) = s.split_once('.')?;
    Some((index.parse().ok()?, rest))
}
