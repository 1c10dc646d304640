//! Definition values an argument set states under a key that names the
//! term: `"shrink_pct_per_pt": 1.5` restates `shrink factor = 1.3% per
//! point`, `"lookback_days": 30` restates a 90-day window.
//!
//! A key carries both the term and the unit prose would write next to the
//! number, so the number is read in the key's unit: `pct` and `percent`
//! make it a percentage, `days` a duration in days, a bare `rate` or
//! `factor` a fraction when it is below 1 and the definition's is not
//! (`"shrink_factor": 0.015` is 1.5%). A key that names only part of a
//! multi-word term names it when it holds the term's particular words
//! (`shrink`, not `factor`).
//!
//! Written by hand: the shape read is `"key": <number>` in JSON-ish
//! argument text, which no parser needs to build a tree for.

use super::definitions::{Departure, TermDefinition, Value};
use crate::text::{MAX_WORD, ident_parts, stem_into};

/// Words of a term that say what kind of quantity it is, not what of.
const GENERIC: &[&str] = &[
    "factor",
    "rate",
    "charge",
    "fee",
    "amount",
    "value",
    "threshold",
    "limit",
    "window",
    "period",
    "level",
    "cap",
    "percent",
    "percentage",
    "share",
    "ratio",
    "minimum",
    "maximum",
    "min",
    "max",
];

/// Key parts that make a number a percentage.
const PERCENT_UNITS: &[&str] = &["pct", "percent", "percentage", "pc"];
/// Key parts that make a number a ratio (a fraction when below 1).
const RATIO_UNITS: &[&str] = &["rate", "factor", "ratio", "share"];
/// Key parts that make a number a count of days.
const DAY_UNITS: &[&str] = &["days", "day", "d"];

/// The first `"key": <number>` of `text` whose key names `def`'s term and
/// whose number, read in the key's unit, differs from the definition's value
/// of that kind.
pub(crate) fn keyed_departure<'a>(def: &TermDefinition, text: &'a str) -> Option<Departure<'a>> {
    let wanted = particular_stems(&def.term);
    if wanted.is_empty() {
        return None;
    }
    keyed_numbers(text).find_map(|(key, raw, x)| {
        let parts: Vec<String> = ident_parts(key).map(str::to_ascii_lowercase).collect();
        let mut buf = [0u8; MAX_WORD];
        let names_term = wanted.iter().all(|w| {
            parts
                .iter()
                .any(|p| stem_into(p, &mut buf).is_some_and(|s| s == w.as_str()))
        });
        if !names_term {
            return None;
        }
        let has = |units: &[&str]| parts.iter().any(|p| units.contains(&p.as_str()));
        let differs = def.values.iter().any(|v| match *v {
            Value::Percent(p) if has(PERCENT_UNITS) => (x - p).abs() > 1e-6,
            Value::Percent(p) if has(RATIO_UNITS) => {
                let as_percent = if x < 1.0 && p >= 1.0 { x * 100.0 } else { x };
                (as_percent - p).abs() > 1e-6
            }
            Value::Days(d) if has(DAY_UNITS) => (x - d).abs() > 1e-6,
            _ => false,
        });
        differs.then_some(Departure::Value {
            anchor: key,
            found: raw,
        })
    })
}

/// The stems of a term's words that say what it is of (`shrink` of
/// `shrink factor`); all of them when every word is generic.
fn particular_stems(term: &str) -> Vec<String> {
    let mut buf = [0u8; MAX_WORD];
    let particular: Vec<String> = term
        .split(' ')
        .filter(|w| !w.is_empty() && !GENERIC.contains(w))
        .filter_map(|w| stem_into(w, &mut buf).map(str::to_owned))
        .collect();
    if particular.is_empty() {
        term.split(' ')
            .filter_map(|w| stem_into(w, &mut buf).map(str::to_owned))
            .collect()
    } else {
        particular
    }
}

/// Every `"key": <number>` (the number bare or quoted) of a text: the key,
/// the number as written, and its value.
fn keyed_numbers(text: &str) -> impl Iterator<Item = (&str, &str, f64)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(i) = text.get(from..)?.find("\":") {
            let colon = from + i + 1;
            from = colon + 1;
            let key_start = text[..colon - 1].rfind('"')? + 1;
            let key = &text[key_start..colon - 1];
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let rest = text[colon + 1..].trim_start();
            let rest = rest.strip_prefix('"').unwrap_or(rest);
            let len = rest
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-')
                .count();
            let raw = &rest[..len];
            if let Ok(x) = raw.parse::<f64>() {
                return Some((key, raw, x));
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(term: &str, text: &str) -> TermDefinition {
        TermDefinition::new(term, text, None)
    }

    #[test]
    fn a_key_naming_the_term_restates_it_in_its_unit() {
        let shrink = def("shrink factor", "1.3% per point");
        let args =
            r#"{"commodity":"SOYBEANS","moisture_base":13.0,"shrink_pct_per_pt":1.5,"loads":7}"#;
        assert_eq!(
            keyed_departure(&shrink, args),
            Some(Departure::Value {
                anchor: "shrink_pct_per_pt",
                found: "1.5"
            })
        );
        // The defined value, as a percentage or as a fraction, is no departure.
        assert_eq!(
            keyed_departure(&shrink, r#"{"shrink_pct_per_pt":1.3}"#),
            None
        );
        assert_eq!(keyed_departure(&shrink, r#"{"shrink_factor":0.013}"#), None);
        assert!(keyed_departure(&shrink, r#"{"shrink_factor":"0.015"}"#).is_some());
        // Counts and ids under other keys say nothing of the term.
        assert_eq!(
            keyed_departure(&shrink, r#"{"loads":7,"shrink_loads":4}"#),
            None
        );
        let window = def("refund window", "30 days");
        assert!(keyed_departure(&window, r#"{"refund_window_days": 45}"#).is_some());
        assert_eq!(
            keyed_departure(&window, r#"{"refund_window_days": 30}"#),
            None
        );
        // A key without the unit says nothing certain.
        assert_eq!(keyed_departure(&window, r#"{"refund_window": 45}"#), None);
    }
}
