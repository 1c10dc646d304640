//! Durations in prose and SQL: "90 days", "3 months", `INTERVAL '30' DAY`,
//! `INTERVAL 30 DAY`, `now() - 30`, `toIntervalDay(30)`, `subtractDays(now(), 30)`.
//!
//! Definitions of terms like "inactive" are mostly a column compared with a
//! duration; comparing durations in days is what lets the scorer see that
//! `INTERVAL 30 DAY` is not "older than 90 days".

/// A duration found in a text, normalized to days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Duration<'a> {
    /// The value in days (months count 30, years 365, hours 1/24).
    pub days: f64,
    /// Byte offset of the number in the text.
    pub at: usize,
    /// The text as written, from the number through its unit.
    pub raw: &'a str,
}

impl Duration<'_> {
    /// Whether two durations differ by more than rounding (3 months vs 90 days is the same).
    pub(crate) fn differs_from(&self, days: f64) -> bool {
        (self.days - days).abs() > days.abs().max(1.0) * 0.04
    }
}

const UNITS: &[(&[&str], f64)] = &[
    (&["d", "day", "days", "dd"], 1.0),
    (&["w", "wk", "wks", "week", "weeks"], 7.0),
    (&["m", "mo", "mon", "mons", "month", "months", "mm"], 30.0),
    (&["y", "yr", "yrs", "year", "years", "yy", "yyyy"], 365.0),
    (&["h", "hr", "hrs", "hour", "hours"], 1.0 / 24.0),
];

fn unit_days(word: &str) -> Option<f64> {
    UNITS
        .iter()
        .find(|(names, _)| names.iter().any(|n| word.eq_ignore_ascii_case(n)))
        .map(|(_, d)| *d)
}

/// A unit hidden in a function name: `toIntervalDay`, `subtractMonths`, `addDays`.
fn function_unit_days(name: &str) -> Option<f64> {
    let lower_ends =
        |s: &str| name.len() >= s.len() && name[name.len() - s.len()..].eq_ignore_ascii_case(s);
    if !(name.len() > 4
        && [
            "tointerval",
            "subtract",
            "add",
            "date_sub",
            "date_add",
            "dateadd",
            "interval",
        ]
        .iter()
        .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p)))
    {
        return None;
    }
    if lower_ends("day") || lower_ends("days") {
        Some(1.0)
    } else if lower_ends("week") || lower_ends("weeks") {
        Some(7.0)
    } else if lower_ends("month") || lower_ends("months") {
        Some(30.0)
    } else if lower_ends("year") || lower_ends("years") {
        Some(365.0)
    } else {
        None
    }
}

/// All durations in `text`.
pub(crate) fn durations(text: &str) -> impl Iterator<Item = Duration<'_>> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !b[i].is_ascii_digit()
                || (i > 0
                    && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.'))
            {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || (b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            let Ok(n) = text[start..i].parse::<f64>() else {
                continue;
            };
            // Unit glued to the number ("90d", "30days").
            let glued_end = word_end(b, i);
            if glued_end > i {
                if let Some(u) = unit_days(&text[i..glued_end]) {
                    let d = Duration {
                        days: n * u,
                        at: start,
                        raw: &text[start..glued_end],
                    };
                    i = glued_end;
                    return Some(d);
                }
                i = glued_end;
                continue;
            }
            // Unit as the next word, possibly after a quote or hyphen ("'30' DAY", "30-day").
            let mut j = i;
            while j < b.len() && matches!(b[j], b' ' | b'\'' | b'"' | b'-' | b'\\' | b'\t') {
                j += 1;
            }
            let we = word_end(b, j);
            if we > j
                && let Some(u) = unit_days(&text[j..we])
            {
                let d = Duration {
                    days: n * u,
                    at: start,
                    raw: &text[start..we],
                };
                i = we;
                return Some(d);
            }
            // Unit in the enclosing function name or before: toIntervalDay(30), subtractDays(now(), 30).
            if let Some(u) = unit_before(text, start) {
                return Some(Duration {
                    days: n * u,
                    at: start,
                    raw: &text[start..i],
                });
            }
            // A bare number subtracted from the current date: `now() - 30` (days, as
            // in PostgreSQL `current_date - 30` and most SQL engines' date arithmetic).
            if subtracted_from_now(text, start) {
                return Some(Duration {
                    days: n,
                    at: start,
                    raw: &text[start..i],
                });
            }
        }
        None
    })
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// Looks back up to 40 bytes for a function name that carries the unit.
fn unit_before(text: &str, at: usize) -> Option<f64> {
    let from = super::text::floor_boundary(text, at.saturating_sub(40));
    let window = &text[from..at];
    let open = window.rfind('(')?;
    let name_end = open;
    let name_start = window[..name_end]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |p| p + 1);
    let name = &window[name_start..name_end];
    function_unit_days(name).or_else(|| {
        // subtractDays(now(), 30): the name is before an inner call.
        let outer = window[..name_start].trim_end_matches(['(', ' ']);
        let s = outer
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        function_unit_days(&outer[s..])
    })
}

fn subtracted_from_now(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end();
    let Some(before) = before.strip_suffix('-') else {
        return false;
    };
    let before = before.trim_end().as_bytes();
    [
        "now()",
        "current_date",
        "current_timestamp",
        "today()",
        "curdate()",
        "getdate()",
        "sysdate",
        "now",
    ]
    .iter()
    .any(|f| {
        before.len() >= f.len()
            && before[before.len() - f.len()..].eq_ignore_ascii_case(f.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(t: &str) -> Vec<f64> {
        durations(t).map(|d| d.days).collect()
    }

    #[test]
    fn prose_and_sql_forms() {
        assert_eq!(days("last_login older than 90 days"), [90.0]);
        assert_eq!(days("inactive = 3 months; 2 weeks"), [90.0, 14.0]);
        assert_eq!(days("WHERE last_login < now() - INTERVAL 30 DAY"), [30.0]);
        assert_eq!(days("last_login < NOW() - INTERVAL '30' DAY"), [30.0]);
        assert_eq!(
            days("last_login < current_date - interval '45 days'"),
            [45.0]
        );
        assert_eq!(days("last_login < now() - 30"), [30.0]);
        assert_eq!(days("last_login < toIntervalDay(60)"), [60.0]);
        assert_eq!(days("last_login < subtractDays(now(), 14)"), [14.0]);
        assert_eq!(days("a 30-day window, 90d"), [30.0, 90.0]);
    }

    #[test]
    fn plain_numbers_are_not_durations() {
        assert!(days("LIMIT 100; id = 42; plan_v2 2024-01-01").is_empty());
        assert!(!durations("3 months").next().unwrap().differs_from(90.0));
        assert!(durations("30 days").next().unwrap().differs_from(90.0));
    }
}
