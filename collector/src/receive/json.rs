//! OTLP/JSON bodies, with ids checked span by span.
//!
//! The generated serde types decode hex ids strictly: one span with an odd
//! number of hex digits in its `traceId` would fail the whole request and
//! drop every good span in it. So the body is read as a JSON tree first,
//! spans whose ids are not hex are taken out (and reported through partial
//! success like any invalid span), and the rest is decoded. Ids of the right
//! hex form but the wrong length are left to [`super::validate`], as for
//! protobuf.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde_json::Value;

use super::validate::Rejected;

/// Decodes an OTLP/JSON body; `Err` is the message for a 400.
pub(crate) fn decode(body: &[u8]) -> Result<(ExportTraceServiceRequest, Rejected), String> {
    let mut tree: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid OTLP JSON: {e}"))?;
    let mut rejected = Rejected::default();
    for_each_spans_array(&mut tree, |spans| {
        spans.retain(|span| match bad_id(span) {
            None => true,
            Some(problem) => {
                rejected.count += 1;
                if rejected.first.is_none() {
                    let name = span.get("name").and_then(Value::as_str).unwrap_or("");
                    rejected.first = Some(format!("span {name:?}: {problem}"));
                }
                false
            }
        });
    });
    let request = serde_json::from_value(tree).map_err(|e| format!("invalid OTLP JSON: {e}"))?;
    Ok((request, rejected))
}

/// Calls `f` on every `resourceSpans[].scopeSpans[].spans` array.
fn for_each_spans_array(tree: &mut Value, mut f: impl FnMut(&mut Vec<Value>)) {
    let Some(resources) = field(tree, "resourceSpans", "resource_spans") else {
        return;
    };
    for resource in resources.as_array_mut().into_iter().flatten() {
        let Some(scopes) = field(resource, "scopeSpans", "scope_spans") else {
            continue;
        };
        for scope in scopes.as_array_mut().into_iter().flatten() {
            if let Some(Value::Array(spans)) = scope.get_mut("spans") {
                f(spans);
            }
        }
    }
}

/// A field under its proto3 JSON name or its original name (both are valid).
fn field<'a>(value: &'a mut Value, json: &str, proto: &str) -> Option<&'a mut Value> {
    let object = value.as_object_mut()?;
    if object.contains_key(json) {
        object.get_mut(json)
    } else {
        object.get_mut(proto)
    }
}

/// Why a span's ids (or its links' ids) cannot be decoded, if they cannot.
fn bad_id(span: &Value) -> Option<String> {
    const IDS: [(&str, &str); 3] = [
        ("traceId", "trace_id"),
        ("spanId", "span_id"),
        ("parentSpanId", "parent_span_id"),
    ];
    let check = |object: &Value, prefix: &str| {
        IDS.iter().find_map(|(json, proto)| {
            let value = object.get(json).or_else(|| object.get(proto))?;
            match value.as_str() {
                Some(text) if is_hex(text) => None,
                Some(text) => Some(format!("{prefix}{json} {text:?} is not hex-encoded bytes")),
                None => Some(format!("{prefix}{json} is not a string")),
            }
        })
    };
    check(span, "").or_else(|| {
        span.get("links")?
            .as_array()?
            .iter()
            .enumerate()
            .find_map(|(i, link)| check(link, &format!("links[{i}].")))
    })
}

fn is_hex(text: &str) -> bool {
    text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ids_reject_their_span_alone() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok"},
            {"traceId":"abc","spanId":"eee19b7ec3c1b174","name":"odd"},
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"zz","name":"nothex"},
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"link",
             "links":[{"traceId":"1","spanId":"eee19b7ec3c1b174"}]}
        ]}]}]}"#;
        let (request, rejected) = decode(body).unwrap();
        let names: Vec<_> = request.resource_spans[0].scope_spans[0]
            .spans
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["ok"]);
        assert_eq!(rejected.count, 3);
        assert_eq!(
            rejected.message(),
            "rejected 3 invalid spans; first: span \"odd\": traceId \"abc\" is not hex-encoded bytes"
        );
        assert!(decode(b"{not json").is_err());
    }
}
