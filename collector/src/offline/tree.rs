//! The lineage tree, for people: sessions, their intents nested by
//! contraction, and each intent's spans with verdicts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::record::{SpanRecord, records};
use crate::score::ScoredRequest;

/// Renders scored requests as an indented tree. With `color`, verdicts are
/// coloured (ANSI) for a terminal.
pub fn render_tree(requests: &[ScoredRequest], color: bool) -> String {
    // session -> lineage path -> spans. Sorting paths puts every intent right
    // after its parent (a prefix sorts first), which is the tree in order.
    let mut sessions: BTreeMap<String, BTreeMap<Vec<String>, Vec<SpanRecord>>> = BTreeMap::new();
    for request in requests {
        for (scored, record) in request.spans.iter().zip(records(request)) {
            let path = scored
                .lineage
                .intent
                .as_ref()
                .map(|n| n.lineage_path().iter().map(|id| id.to_string()).collect())
                .unwrap_or_default();
            sessions
                .entry(record.session_id.clone())
                .or_default()
                .entry(path)
                .or_default()
                .push(record);
        }
    }
    let mut out = String::new();
    for (session, intents) in sessions {
        let name = if session.is_empty() {
            "(no session)"
        } else {
            session.as_str()
        };
        let _ = writeln!(out, "session {name}");
        for (path, spans) in intents {
            let indent = "  ".repeat(path.len().max(1));
            match path.last() {
                Some(intent) => {
                    let _ = writeln!(out, "{indent}intent {intent} (depth {})", path.len() - 1);
                }
                None => {
                    let _ = writeln!(out, "{indent}(unscoped)");
                }
            }
            for s in spans {
                let verdict = paint(s.verdict, color);
                let agent = s.agent.as_deref().unwrap_or("-");
                let _ = write!(
                    out,
                    "{indent}  {verdict} {:.2} {agent} {} {}",
                    s.alignment, s.action_kind, s.action_name
                );
                if let Some(c) = s.coverage {
                    let _ = write!(out, " coverage {c:.2}");
                }
                if s.verdict != "aligned" && !s.explanation.is_empty() {
                    let _ = write!(out, " — {}", s.explanation);
                }
                out.push('\n');
            }
        }
    }
    out
}

fn paint(verdict: &str, color: bool) -> String {
    if !color {
        return format!("{verdict:<9}");
    }
    let code = match verdict {
        "violation" => "31",
        "thin" => "35",
        "drifting" => "33",
        "aligned" => "32",
        _ => "90",
    };
    format!("\x1b[{code}m{verdict:<9}\x1b[0m")
}
