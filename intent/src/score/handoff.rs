//! The task a hand-off tool call gives another agent.
//!
//! Agents delegate by calling a tool (`a2a_send_task`, `delegate_node_ops`,
//! `transfer_to_billing_agent`) as often as by starting an instrumented
//! child agent. The task text in the call's arguments is the delegation: the
//! model span that proposes it and the tool span that sends it hand down
//! exactly what the delegate's declaring span later carries, so they are
//! judged as contractions too (a brief that drops a definition is thin when
//! it is proposed, not only when it arrives).

use std::borrow::Cow;

use super::effects::{Act, is_delegation_tool};

/// Fewer words than this is a name or an id (`"billing-ops-agent"`), not a task.
const MIN_TASK_WORDS: usize = 6;

/// The task text a delegation act hands down: the longest prose string of
/// its arguments (the key differs by framework: `task`, `input`, `message`,
/// A2A's `message.parts[].text`), or the bare-string argument itself.
///
/// `None` when the act is not a hand-off or carries no task in words.
pub(crate) fn delegated_task<'a>(act: &Act<'a>) -> Option<Cow<'a, str>> {
    let tool = act.tool?;
    if !is_delegation_tool(tool) {
        return None;
    }
    let args = act.args?.trim();
    // JSON text (an object, or arguments serialized twice into a string),
    // else a bare-string argument.
    if !args.starts_with(['{', '[', '"']) {
        return (word_count(args) >= MIN_TASK_WORDS).then_some(Cow::Borrowed(args));
    }
    let value: serde_json::Value = serde_json::from_str(args).ok()?;
    let mut best: Option<String> = None;
    longest_prose(&value, 0, &mut best);
    best.map(Cow::Owned)
}

/// Bounds the walk: arguments nest a few levels (A2A's message parts), and
/// a hostile payload must not recurse without end.
const MAX_DEPTH: usize = 6;

fn longest_prose(v: &serde_json::Value, depth: usize, best: &mut Option<String>) {
    match v {
        serde_json::Value::String(s) => {
            // A string holding JSON (arguments serialized twice) is read inside.
            let t = s.trim();
            if depth < MAX_DEPTH
                && t.starts_with(['{', '['])
                && let Ok(inner) = serde_json::from_str::<serde_json::Value>(t)
            {
                longest_prose(&inner, depth + 1, best);
                return;
            }
            if word_count(s) >= MIN_TASK_WORDS && best.as_ref().is_none_or(|b| s.len() > b.len()) {
                *best = Some(s.clone());
            }
        }
        serde_json::Value::Array(items) if depth < MAX_DEPTH => {
            for i in items {
                longest_prose(i, depth + 1, best);
            }
        }
        serde_json::Value::Object(map) if depth < MAX_DEPTH => {
            for i in map.values() {
                longest_prose(i, depth + 1, best);
            }
        }
        _ => {}
    }
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().take(MIN_TASK_WORDS).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act<'a>(tool: &'a str, args: &'a str) -> Act<'a> {
        Act::tool_call(tool, args)
    }

    #[test]
    fn the_task_is_the_longest_prose_argument_under_any_key() {
        let a = act(
            "a2a_send_task",
            r#"{"agent":"billing-ops-agent","task":"Queue compensation for the residential customers on the three cabinets.","reply_to":"noc"}"#,
        );
        assert_eq!(
            delegated_task(&a).as_deref(),
            Some("Queue compensation for the residential customers on the three cabinets.")
        );
        let nested = act(
            "delegate_node_ops",
            r#"{"message":{"role":"user","parts":[{"kind":"text","text":"Drain node ip-10-4-2-17 and clean the image cache, nothing else."}]}}"#,
        );
        assert_eq!(
            delegated_task(&nested).as_deref(),
            Some("Drain node ip-10-4-2-17 and clean the image cache, nothing else.")
        );
        let twice = act(
            "transfer_to_refund_agent",
            r#""{\"input\":\"Refund the duplicated charge of EUR 129 on order 5521 only.\"}""#,
        );
        assert_eq!(
            delegated_task(&twice).as_deref(),
            Some("Refund the duplicated charge of EUR 129 on order 5521 only.")
        );
    }

    #[test]
    fn a_bare_string_argument_is_the_task() {
        let a = act(
            "ask_txn_analyst",
            "Pull the cash deposits of the last 90 days.",
        );
        assert_eq!(
            delegated_task(&a).as_deref(),
            Some("Pull the cash deposits of the last 90 days.")
        );
    }

    #[test]
    fn other_tools_and_wordless_arguments_hand_nothing_down() {
        assert!(
            delegated_task(&act(
                "send_email",
                r#"{"body":"Please queue the compensation for all residential customers today."}"#
            ))
            .is_none()
        );
        assert!(
            delegated_task(&act(
                "a2a_send_task",
                r#"{"agent":"billing","task_id":"t-1"}"#
            ))
            .is_none()
        );
        assert!(delegated_task(&act("a2a_send_task", "not json {")).is_none());
    }
}
