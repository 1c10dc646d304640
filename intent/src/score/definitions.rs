//! Definitions and boundaries: what a term means (`inactive = last_login older
//! than 90 days`, `refund window = 30 days`, `high-value client = balance
//! above 250,000 EUR`) and which tables are in scope, and how a span departs
//! from them.
//!
//! Sources are `define <term> = <text>` guards (breaking one is a violation of
//! rule `define.<term>`) and the scope bullet's `X = Y`, `X means Y`, `X is
//! defined as Y` clauses and `<name> table only` boundaries (departing from one
//! is drift).
//!
//! A definition fixes a value of a **kind** (a duration, an amount of money,
//! a percentage, a plain number). A span departs from it only when it
//! restates the term, or compares its defining column, with a value of the
//! same kind that differs: a count of matched rows, a time of day, an id, a
//! page number or a date next to the term is not a new definition, and
//! neither is "2 days ago" next to a 30-day window.

use std::cell::OnceCell;

use super::quantity::{Duration, Money, durations, money, number_word};
use crate::text::{Lex, MAX_WORD, find_word_ci, is_ident_byte, lexicon, stem_into, words};

/// The value a definition fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    /// A duration, in days.
    Days(f64),
    /// An amount of money.
    Money(Money),
    /// A percentage.
    Percent(f64),
    /// A plain number (thresholds, counts) with no unit.
    Number(f64),
    /// A range of days, both ends included (days since 1970-01-01), the
    /// year its dates are in (for texts that leave the year out), and
    /// whether it looks back from its end ("the 90 days before the alert
    /// date"): then a later start is a shorter lookback, not a breakdown.
    Dates {
        from: i32,
        to: i32,
        year: i32,
        lookback: bool,
    },
    /// A span of the day ("06:00 to 14:00"), in minutes after midnight, and
    /// the day it is on when the definition names one.
    Hours {
        from: u16,
        to: u16,
        day: Option<i32>,
    },
}

/// One definition of a term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TermDefinition {
    /// The term, lowercased, words separated by one space (`refund window`).
    pub term: String,
    /// The definition as written (`last_login older than 90 days`).
    pub text: String,
    /// Identifiers in the definition that look like columns (`last_login`).
    pub columns: Vec<String>,
    /// The value the definition fixes, when it has one (the first stated).
    pub value: Option<Value>,
    /// The value as written (`90 days`), for explanations.
    pub value_text: String,
    /// Every value it fixes, one per kind ("above EUR 8,000 over 24 months"
    /// fixes an amount and a window).
    pub values: Vec<Value>,
    /// Distinctive words of the definition ("opened", "clicked"): two of
    /// them together restate the definition even without the term.
    pub phrase: Vec<String>,
    /// `define.<term>` when the definition comes from a guard.
    pub rule: Option<String>,
    /// Whether the definition is a threshold on an amount ("spend below USD
    /// 50,000"): only another threshold restates it, not a total ("USD 74.6M
    /// indirect spend") next to the term.
    pub threshold: bool,
}

impl TermDefinition {
    pub(crate) fn new(term: &str, text: &str, rule: Option<String>) -> TermDefinition {
        let text = text.trim();
        let columns: Vec<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .filter(|w| {
                w.contains('_') && w.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            })
            .map(|w| w.rsplit('.').next().unwrap_or(w).to_ascii_lowercase())
            .collect();
        let (value, value_text) = value_of(text)
            .map(|(v, raw)| (Some(v), raw.to_owned()))
            .unwrap_or((None, String::new()));
        let (value, value_text) = match dates_of(text) {
            Some((v, raw)) => (Some(v), raw.to_owned()),
            None => (value, value_text),
        };
        // A bare number in a longer definition is its value only as a
        // bound ("more than 3 absences"), or when it is all the definition
        // says ("cap = 40"); "GPA on a 4.0 scale over 100-level courses"
        // describes the measure, it fixes no value of it.
        let (value, value_text) = match value {
            // A count in words is read only as a bound ("three or more").
            Some(Value::Number(_))
                if words(text).count() > 3
                    && !value_text.bytes().all(|b| b.is_ascii_alphabetic())
                    && !text
                        .find(value_text.as_str())
                        .is_some_and(|at| comparator_before(text, at)) =>
            {
                (None, String::new())
            }
            v => (v, value_text),
        };
        // "downtime window = 2025-11-29 06:00 to 14:00": a span of the day.
        let hours = super::dates::time_ranges(text).first().map(|r| {
            let day = words(text).find_map(|(_, w)| super::dates::iso_day(w));
            (
                Value::Hours {
                    from: r.from,
                    to: r.to,
                    day,
                },
                r.raw.to_owned(),
            )
        });
        let (value, value_text) = match (&value, hours.clone()) {
            (None, Some((v, raw))) => (Some(v), raw),
            _ => (value, value_text),
        };
        // "customs value = CIF: invoice FOB + ocean freight + insurance, in
        // EUR at the rate 1 USD = 0.8621 EUR" is a way to compute the term:
        // the amounts in it are a rate and its parts, not the term's value,
        // and a text stating the parts restates nothing.
        // "face value plus the per-ticket service fee; the GBP 2.25
        // transaction fee is not refunded" names its parts in words: the
        // amount is a part left out, not the term's value ("30 days plus
        // a 5-day grace period" states a value first, and keeps it).
        let in_words = [" plus ", " minus "].iter().any(|w| {
            text.find(w)
                .is_some_and(|at| !text[..at].bytes().any(|b| b.is_ascii_digit()))
        });
        let formula = text.contains(" + ") || text.contains(" = ") || in_words;
        let (value, value_text) = if formula {
            (None, String::new())
        } else {
            (value, value_text)
        };
        let mut values: Vec<Value> = Vec::new();
        values.extend(hours.map(|(v, _)| v));
        values.extend(dates_of(text).map(|(v, _)| v));
        values.extend(durations(text).next().map(|d| Value::Days(d.days)));
        values.extend(money(text).next().map(|(m, _)| Value::Money(m)));
        values.extend(percents(text).next().map(|(p, _)| Value::Percent(p)));
        if values.is_empty() {
            values.extend(value);
        }
        if formula {
            values.clear();
        }
        // Columns also by their snake_case names: "invoice total above EUR
        // 8,000" is about `invoice_total` (and `invoice_total_eur`).
        let mut columns: Vec<String> = columns;
        let content: Vec<String> = words(text)
            .map(|(_, w)| w.to_ascii_lowercase())
            .filter(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_alphabetic()))
            .collect();
        for pair in content.windows(2) {
            let mut buf = [0u8; MAX_WORD];
            let stop = |w: &str, buf: &mut [u8; MAX_WORD]| {
                stem_into(w, buf)
                    .and_then(lexicon)
                    .is_some_and(|l| matches!(l, Lex::Stop | Lex::Negation))
            };
            if stop(&pair[0], &mut buf) || stop(&pair[1], &mut buf) {
                continue;
            }
            let snake = format!("{}_{}", pair[0], pair[1]);
            if !columns.contains(&snake) {
                columns.push(snake);
            }
        }
        let term = term.trim();
        let term = ["a ", "an ", "the "]
            .iter()
            .find_map(|a| {
                (term.len() > a.len() && crate::text::starts_with_ci(term, a))
                    .then(|| &term[a.len()..])
            })
            .unwrap_or(term);
        let term = term
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        // The term as an identifier: `refund_window_days`, `TAIL_SPEND_FLAG`.
        if term.contains([' ', '-']) {
            let snake = term.replace([' ', '-'], "_");
            if !columns.contains(&snake) {
                columns.push(snake);
            }
        }
        let threshold = money(text)
            .next()
            .is_some_and(|(_, raw)| comparator_before(text, offset(text, raw)));
        let mut phrase: Vec<String> = Vec::new();
        let mut buf = [0u8; MAX_WORD];
        for (_, w) in words(text) {
            // "sign-in" is `signin` in a column name.
            let joined: String = w.chars().filter(|c| *c != '-').collect();
            let w = joined.as_str();
            if w.len() < 5 || !w.bytes().all(|b| b.is_ascii_alphabetic()) {
                continue;
            }
            let Some(stem) = stem_into(w, &mut buf) else {
                continue;
            };
            if lexicon(stem).is_some() || phrase.iter().any(|p| p == stem) {
                continue;
            }
            phrase.push(stem.to_owned());
        }
        TermDefinition {
            term,
            text: text.to_owned(),
            columns,
            value,
            value_text,
            values,
            phrase,
            rule,
            threshold,
        }
    }

    /// Whether a text mentions the term or one of its columns.
    pub(crate) fn is_used_in(&self, text: &str) -> bool {
        find_term(text, &self.term, 0).is_some()
            || self
                .columns
                .iter()
                .any(|c| find_word_ci(text, c, 0).is_some())
    }
}

/// The range of dates a definition states ("1 to 30 November 2025").
fn dates_of(text: &str) -> Option<(Value, &str)> {
    // Dates without a year take the definition's own year, when it has one.
    let year = words(text)
        .find_map(|(_, w)| {
            (w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
                .then(|| w.parse::<i32>().ok())
                .flatten()
        })
        .unwrap_or(UNKNOWN_YEAR);
    let r = super::dates::ranges(text, year).into_iter().next()?;
    let lookback = words(text).any(|(_, w)| {
        [
            "before",
            "lookback",
            "look-back",
            "last",
            "trailing",
            "prior",
            "preceding",
        ]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
    });
    Some((
        Value::Dates {
            from: r.from,
            to: r.to,
            year,
            lookback,
        },
        r.raw,
    ))
}

/// The year given to dates when nobody wrote one: texts that do name a year
/// then never match a definition that did not.
const UNKNOWN_YEAR: i32 = 2000;

/// The first value a text states, by kind: a duration, money, a percentage,
/// then a plain number.
pub(crate) fn value_of(text: &str) -> Option<(Value, &str)> {
    if let Some(d) = durations(text).next() {
        return Some((Value::Days(d.days), d.raw));
    }
    if let Some((m, raw)) = money(text).next() {
        return Some((Value::Money(m), raw));
    }
    if let Some((p, raw)) = percents(text).next() {
        return Some((Value::Percent(p), raw));
    }
    plain_numbers(text)
        .next()
        .map(|(n, raw)| (Value::Number(n), raw))
}

/// Whether `found` (a value a text puts next to `d`'s term or columns)
/// is the value another definition of the intents fixes: with two fees
/// defined as shares of one base ("commercial plan review fee = 85% of
/// the building permit fee", "fire plan review fee = 40% of ..."), a 40
/// next to the base is the fire review's, not a new commercial one.
pub(crate) fn another_definitions_value<'d>(
    found: &str,
    d: &TermDefinition,
    mut all: impl Iterator<Item = &'d TermDefinition>,
) -> bool {
    fn magnitude(v: &Value) -> Option<f64> {
        match v {
            Value::Days(x) | Value::Percent(x) | Value::Number(x) => Some(*x),
            Value::Money(m) => Some(m.amount),
            Value::Dates { .. } | Value::Hours { .. } => None,
        }
    }
    let Some(stated) = value_of(found).as_ref().and_then(|(v, _)| magnitude(v)) else {
        return false;
    };
    all.any(|other| {
        other.term != d.term
            && other
                .values
                .iter()
                .filter_map(magnitude)
                .any(|x| (x - stated).abs() < 1e-9)
    })
}

/// Finds a (possibly multi-word) term as whole words, any whitespace between
/// its words, case-insensitively; plural `-s` on the last word is allowed.
pub(crate) fn find_term(text: &str, term: &str, from: usize) -> Option<(usize, usize)> {
    let parts: Vec<&str> = term.split(' ').filter(|p| !p.is_empty()).collect();
    let first = *parts.first()?;
    // "customers", "customer's": the term, plural or possessive.
    let is = |w: &str, p: &str, last: bool| {
        let w = w.strip_suffix("'s").unwrap_or(w);
        w.eq_ignore_ascii_case(p)
            || (last
                && w.len() == p.len() + 1
                && crate::text::starts_with_ci(w, p)
                && w.ends_with(['s', 'S']))
    };
    // Most texts do not hold the term: find its first word's bytes before
    // reading words, and read words only around each candidate.
    let mut at = from;
    while let Some(i) = crate::text::find_ci(text, first, at) {
        at = i + 1;
        let run = crate::text::word_run_start(text, i, from);
        let mut ws = words(&text[run..]).map(|(a, w)| (a + run, w));
        let Some((start, w)) = ws.find(|(a, w)| a + w.len() > i) else {
            continue;
        };
        if start != i || !is(w, first, parts.len() == 1) {
            continue;
        }
        let mut end = start + w.len();
        let rest_matches = parts
            .iter()
            .enumerate()
            .skip(1)
            .all(|(j, p)| match ws.next() {
                Some((a, w)) if is(w, p, j + 1 == parts.len()) => {
                    end = a + w.len();
                    true
                }
                _ => false,
            });
        if rest_matches {
            return Some((start, end));
        }
    }
    None
}

/// How a span departs from a definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Departure<'a> {
    /// The term or column is restated with another value of the same kind.
    Value {
        /// The term or column as found.
        anchor: &'a str,
        /// The value found, as written.
        found: &'a str,
    },
    /// A window defined by its dates is applied with shifted dates.
    Range {
        /// The range as written.
        found: &'a str,
    },
    /// A span of the day is applied by a bound outside it.
    Hours {
        /// The bound as written.
        found: &'a str,
    },
    /// The filter on the defining column is widened with `OR`.
    Widened {
        /// The column.
        anchor: &'a str,
    },
}

/// Words right after a duration that make it a point in time or a remainder,
/// not a window: "2 days ago", "3 days left".
const NOT_A_WINDOW: &[&str] = &[
    "ago",
    "later",
    "earlier",
    "left",
    "remaining",
    "overdue",
    "late",
    "since",
    "after",
    "before",
    "from",
    "old",
];

/// The values a text states, each kind read at most once and shared by every
/// definition checked against the text.
pub(crate) struct TextValues<'a> {
    text: &'a str,
    durations: OnceCell<Vec<Duration<'a>>>,
    money: OnceCell<Vec<(Money, &'a str)>>,
    percents: OnceCell<Vec<(f64, &'a str)>>,
    numbers: OnceCell<Vec<(f64, &'a str)>>,
    /// Date ranges, read for the year of the first definition that asked.
    dates: OnceCell<(i32, Vec<super::dates::DateRange<'a>>)>,
    has_or: OnceCell<bool>,
}

impl<'a> TextValues<'a> {
    /// Nothing is read until a definition asks.
    pub(crate) fn new(text: &'a str) -> TextValues<'a> {
        TextValues {
            text,
            durations: OnceCell::new(),
            money: OnceCell::new(),
            percents: OnceCell::new(),
            numbers: OnceCell::new(),
            dates: OnceCell::new(),
            has_or: OnceCell::new(),
        }
    }

    /// Whether the text holds a value of `value`'s kind that differs from
    /// it, the way [`differing_value`] reads values in a clause. A clause is
    /// a slice of the text, so a value no reading of the whole text finds is
    /// in no clause (only a clause cut 40 bytes before its anchor could start
    /// inside a number).
    pub(crate) fn holds_other_value(&self, value: Value) -> bool {
        let t = self.text;
        let numbers = || self.numbers();
        match value {
            Value::Days(days) => self.durations().iter().any(|d| d.differs_from(days)),
            Value::Money(m) => {
                self.money
                    .get_or_init(|| money(t).collect())
                    .iter()
                    .any(|(x, _)| x.comparable(&m) && x.differs_from(&m))
                    || numbers()
                        .iter()
                        .any(|(n, _)| number_differs_from_amount(*n, &m))
            }
            Value::Percent(p) => self
                .percents
                .get_or_init(|| percents(t).collect())
                .iter()
                .any(|(x, _)| percent_differs(*x, p)),
            Value::Number(n) => numbers().iter().any(|(m, _)| number_differs(*m, n)),
            Value::Dates {
                from,
                to,
                year,
                lookback,
            } => self
                .date_ranges(year)
                .iter()
                .any(|r| r.departs(from, to, lookback)),
            Value::Hours { from, to, day } => {
                super::dates::time_ranges(t)
                    .iter()
                    .any(|r| (r.from, r.to) != (from, to))
                    || outside_hours(t, from, to, day).is_some()
            }
        }
    }

    /// The text's date ranges, dates without a year taking `year`; read
    /// once for the first year asked.
    fn date_ranges(&self, year: i32) -> std::borrow::Cow<'_, [super::dates::DateRange<'a>]> {
        let (y, cached) = self
            .dates
            .get_or_init(|| (year, super::dates::ranges(self.text, year)));
        if *y == year {
            std::borrow::Cow::Borrowed(cached)
        } else {
            std::borrow::Cow::Owned(super::dates::ranges(self.text, year))
        }
    }

    /// A value equal to `value` that a statement applies (a duration in a
    /// date comparison, an amount or number after a comparison operator),
    /// as written. Prose is not read: a sentence repeating a number applies
    /// nothing.
    pub(crate) fn applied_in_code(&self, value: Value) -> Option<&'a str> {
        let t = self.text;
        // The statement around the value: a clause would stop at the
        // comma or parenthesis of `DATEDIFF(day, a, b) > 30`.
        let in_code = |at: usize, len: usize| {
            let from = crate::text::floor_boundary(t, at.saturating_sub(48));
            looks_like_code(&t[from..at + len])
        };
        let after_operator = |at: usize| {
            t[..at]
                .trim_end_matches([' ', '\''])
                .ends_with(['<', '>', '='])
        };
        let numbers = || self.numbers();
        match value {
            Value::Days(days) => self
                .durations()
                .iter()
                .find(|d| !d.differs_from(days) && in_code(d.at, d.raw.len()))
                .map(|d| d.raw),
            Value::Money(m) => numbers()
                .iter()
                .find(|(n, raw)| {
                    let at = offset(t, raw);
                    !number_differs_from_amount(*n, &m) && after_operator(at)
                })
                .map(|(_, raw)| *raw),
            Value::Percent(p) | Value::Number(p) => numbers()
                .iter()
                .find(|(n, raw)| !number_differs(*n, p) && after_operator(offset(t, raw)))
                .map(|(_, raw)| *raw),
            // A statement applies a range by its bounds, which the range
            // check reads directly.
            Value::Dates { .. } | Value::Hours { .. } => None,
        }
    }

    /// The text's durations, read once.
    fn durations(&self) -> &[Duration<'a>] {
        self.durations
            .get_or_init(|| durations(self.text).collect())
    }

    /// The text's plain numbers, read once.
    fn numbers(&self) -> &[(f64, &'a str)] {
        self.numbers
            .get_or_init(|| plain_numbers(self.text).collect())
    }

    /// Whether `OR` joins anything in the text (a widened filter needs it).
    fn has_or(&self) -> bool {
        *self
            .has_or
            .get_or_init(|| find_word_ci(self.text, "or", 0).is_some())
    }
}

/// Finds the first departure of `text` from `def` (the scorer shares one
/// [`TextValues`] per text through [`departure_in`]).
#[cfg(test)]
pub(crate) fn departure<'a>(def: &TermDefinition, text: &'a str) -> Option<Departure<'a>> {
    departure_in(def, &TextValues::new(text))
}

/// [`departure`], reading the text's values through a cache shared with the
/// other definitions checked against the same text.
pub(crate) fn departure_in<'a>(
    def: &TermDefinition,
    values: &TextValues<'a>,
) -> Option<Departure<'a>> {
    let text = values.text;
    if def.values.is_empty() {
        return None;
    }
    // An argument set may state the value under a key naming the term.
    if text.contains("\":")
        && let Some(dep) = super::keyed::keyed_departure(def, text)
    {
        return Some(dep);
    }
    // Most texts restate a definition's own value or none at all, and a
    // widening needs an `OR`: one pass over the text settles those before
    // the per-anchor reads of clauses below.
    let restated = def.values.iter().any(|v| values.holds_other_value(*v));
    if !restated && !values.has_or() {
        return None;
    }
    // A statement or an argument set runs over its own dates whatever it
    // calls the window: a shifted range there applies another window.
    if restated && (looks_like_code(text) || text.trim_start().starts_with('{')) {
        // A lookback a statement applies to what the definition is about
        // (`enforcement.strikes ... issued_at >= now() - interval '6
        // months'` for "3 strikes within the 12 months"): another window.
        if let Some(dep) = lookback_departure(def, values) {
            return Some(dep);
        }
        for v in &def.values {
            if let Value::Hours { from, to, day } = *v
                && let Some(raw) = outside_hours(text, from, to, day)
            {
                return Some(Departure::Hours { found: raw });
            }
            if let Value::Dates {
                from,
                to,
                year,
                lookback,
            } = *v
                && let Some(r) = values
                    .date_ranges(year)
                    .iter()
                    .find(|r| r.departs(from, to, lookback))
                    .copied()
            {
                return Some(Departure::Range { found: r.raw });
            }
        }
    }
    let check_as = |at: usize, end: usize, is_term: bool, widen: bool| -> Option<Departure<'a>> {
        let found = &text[at..end];
        let (c_start, c_end, or_joined) = clause_around(text, at, end);
        // A statement compares its column precisely; prose restates a term
        // only when the value is attached to it.
        let code = !is_term && looks_like_code(&text[c_start..c_end]);
        // Prose that states the definition's own value next to another one
        // measures against it ("9.57% - below 10%, not a concentrated
        // position"; "band = 5 pts, ignoring Orion's 20% tolerance"): the
        // other value is data, the definition holds.
        if !code && states_own_value(def, sentence_around(text, at, end)) {
            return None;
        }
        // "no concentrated position (AAPL 9.57%)": what is said not to meet
        // the definition reports a value, it does not change the definition.
        if is_term && !code && denied_before(text, at) {
            return None;
        }
        for value in &def.values {
            if let Some(raw) =
                differing_value(*value, def.threshold, text, c_start, c_end, at, end, code)
            {
                return Some(Departure::Value {
                    anchor: found,
                    found: raw,
                });
            }
        }
        (or_joined && code && widen).then_some(Departure::Widened { anchor: found })
    };
    let check = |at: usize, end: usize, is_term: bool| check_as(at, end, is_term, true);
    let mut from = 0;
    while let Some((at, end)) = find_term(text, &def.term, from) {
        from = end;
        if let Some(d) = check(at, end, true) {
            return Some(d);
        }
    }
    // Two distinctive words of the definition within a few words of each
    // other restate it ("opened or clicked in the last 30 days").
    if def.phrase.len() >= 2 {
        let mut buf = [0u8; MAX_WORD];
        let mut hits: Vec<(usize, usize, usize, usize)> = Vec::new(); // (word index, start, end, phrase index)
        for (i, (at, w)) in words(text).enumerate() {
            let Some(stem) = stem_into(w, &mut buf) else {
                continue;
            };
            let Some(pi) = def.phrase.iter().position(|p| p == stem) else {
                continue;
            };
            hits.retain(|h| h.0 + 8 >= i);
            if let Some(first) = hits.iter().find(|h| h.3 != pi)
                && let Some(d) = check(first.1, at + w.len(), true)
            {
                return Some(d);
            }
            hits.push((i, at, at + w.len(), pi));
        }
    }
    // In a statement, an identifier made of the definition's own words
    // (`last_signin_at` for "last successful sign-in", `invoice_total_eur`
    // for "a repair invoice above EUR 8,000") is its column.
    if looks_like_code(text) {
        for (at, w) in words(text) {
            if !w.contains('_') {
                continue;
            }
            let hits = w.split('_').any(|part| {
                part.len() >= 5
                    && def.phrase.iter().any(|p| {
                        let mut buf = [0u8; MAX_WORD];
                        stem_into(part, &mut buf) == Some(p.as_str())
                    })
            });
            // A column found by its words may be one of several in an OR'ed
            // definition ("not renewed within 30 days"): only its value counts.
            if hits && let Some(d) = check_as(at, at + w.len(), false, false) {
                return Some(d);
            }
        }
    }
    for c in &def.columns {
        let mut from = 0;
        while let Some(at) = crate::text::find_ci(text, c, from) {
            from = at + c.len();
            let b = text.as_bytes();
            let before_ok = at == 0 || !is_ident_byte(b[at - 1]);
            // `invoice_total` names `invoice_total_eur` too, in code.
            let mut end = at + c.len();
            let exact = end >= b.len() || !is_ident_byte(b[end]);
            if !exact && b[end] == b'_' {
                while end < b.len() && is_ident_byte(b[end]) {
                    end += 1;
                }
            } else if !exact {
                continue;
            }
            if !before_ok {
                continue;
            }
            if !exact {
                let (c_start, c_end, _) = clause_around(text, at, end);
                if !looks_like_code(&text[c_start..c_end]) {
                    continue;
                }
            }
            if let Some(d) = check(at, end, false) {
                return Some(d);
            }
        }
    }
    None
}

fn looks_like_code(clause: &str) -> bool {
    clause.contains(['<', '>', '=', '('])
        || words(clause).any(|(_, w)| {
            [
                "interval",
                "now",
                "current_date",
                "datediff",
                "where",
                "date_sub",
                "dateadd",
            ]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
        })
}

/// A value of the definition's kind in `text[c_start..c_end]` that differs
/// from it. In prose the value must sit within a few words of the anchor
/// `[at, end)`, with nothing but connecting words between.
#[allow(clippy::too_many_arguments)]
fn differing_value(
    value: Value,
    threshold: bool,
    text: &str,
    c_start: usize,
    c_end: usize,
    at: usize,
    end: usize,
    code: bool,
) -> Option<&str> {
    let clause = &text[c_start..c_end];
    let gap = |pos: usize, raw_len: usize| -> Option<&str> {
        let (gap_start, gap_end) = if pos >= end {
            (end, pos)
        } else {
            (pos + raw_len, at)
        };
        (gap_start <= gap_end).then(|| &text[gap_start..gap_end])
    };
    let attached = |pos: usize, raw_len: usize| -> bool {
        if code {
            return true;
        }
        let Some(g) = gap(pos, raw_len) else {
            return false;
        };
        let n = words(g).count();
        let limit = if pos >= end { 6 } else { 2 };
        // A sentence between them ends the one the value belongs to: "the
        // pace minimum is 67%. Maximum timeframe = 150% ...".
        let sentence_ends = g.contains([';', '\n'])
            || g.match_indices(". ").any(|(i, _)| {
                g[i + 2..].chars().next().is_none_or(char::is_uppercase) && !g[..i].ends_with("i.e")
            });
        n <= limit
            && !g.bytes().any(|b| b.is_ascii_digit())
            && !sentence_ends
            && !reported(text, c_start, pos.min(at), pos)
    };
    // "the refund window is 30 days after delivery" states the window;
    // "asked 2 days after delivery" places an event.
    let definitional = |pos: usize, raw_len: usize| -> bool {
        code || gap(pos, raw_len).is_some_and(|g| {
            // "the refund window, i.e. requested more than 30 days after
            // delivery", "the window (30 days from delivery)": an explanation.
            let t = g.trim_start().trim_start_matches(['\'', '"', '*']);
            t.starts_with(", i.e.")
                || t.starts_with("i.e.")
                || t.starts_with(", ie ")
                || t.starts_with('(')
                || t.starts_with(':')
                || t.starts_with(", meaning")
                || t.starts_with(", that is")
                || words(g).all(|(_, w)| {
                    [
                        "is",
                        "are",
                        "was",
                        "be",
                        "as",
                        "of",
                        "means",
                        "equals",
                        "set",
                        "to",
                        "at",
                        "the",
                        "a",
                        "an",
                        "now",
                        "defined",
                        "treated",
                        "considered",
                        "within",
                        "under",
                        "over",
                        "above",
                        "below",
                        "up",
                        "limit",
                        "cap",
                        "max",
                        "maximum",
                        "minimum",
                    ]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                })
        })
    };
    match value {
        Value::Days(days) => durations(clause)
            .filter(|d| d.differs_from(days))
            .filter(|d| {
                let after = &clause[d.at + d.raw.len()..];
                let next = words(after).next().map(|(_, w)| w).unwrap_or("");
                !NOT_A_WINDOW.iter().any(|x| next.eq_ignore_ascii_case(x))
                    || definitional(c_start + d.at, d.raw.len())
            })
            .find(|d| attached(c_start + d.at, d.raw.len()))
            .map(|d| d.raw),
        Value::Money(m) => money(clause)
            .filter(|(x, _)| x.comparable(&m) && x.differs_from(&m))
            .find(|(_, raw)| {
                let pos = offset(text, raw);
                attached(pos, raw.len())
                    && (!threshold
                        || code
                        || compared(text, at, end, pos)
                        || comparator_before(text, pos))
            })
            .map(|(_, raw)| raw)
            .or_else(|| {
                // SQL compares an amount column with a bare number.
                if !code || money(clause).next().is_some() || durations(clause).next().is_some() {
                    return None;
                }
                plain_numbers(clause)
                    .filter(|(n, _)| number_differs_from_amount(*n, &m))
                    .find(|(_, raw)| compared(text, at, end, offset(text, raw)))
                    .map(|(_, raw)| raw)
            }),
        Value::Percent(p) => percents(clause)
            .filter(|(x, _)| percent_differs(*x, p))
            .find(|(_, raw)| attached(offset(text, raw), raw.len()))
            .map(|(_, raw)| raw),
        Value::Dates {
            from,
            to,
            year,
            lookback,
        } => super::dates::ranges(clause, year)
            .into_iter()
            .filter(|r| r.departs(from, to, lookback))
            .find(|r| attached(offset(text, r.raw), r.raw.len()))
            .map(|r| r.raw),
        Value::Hours { from, to, .. } => super::dates::time_ranges(clause)
            .into_iter()
            .filter(|r| (r.from, r.to) != (from, to))
            .find(|r| attached(offset(text, r.raw), r.raw.len()))
            .map(|r| r.raw),
        Value::Number(n) => {
            if durations(clause).next().is_some() || money(clause).next().is_some() {
                return None;
            }
            plain_numbers(clause)
                .filter(|(m, _)| number_differs(*m, n))
                .find(|(_, raw)| {
                    let pos = offset(text, raw);
                    attached(pos, raw.len())
                        && (compared(text, at, end, pos) || bound_follows(text, pos + raw.len()))
                })
                .map(|(_, raw)| raw)
        }
    }
}

/// Whether a value in prose is someone else's, reported rather than used:
/// "the owner rep asked for 5% markup", "His 5% markup ask", "Brightline
/// dropped retainage to 5%", "CCO-004 (retainage to 5%) is still Draft".
/// `first` is where the term or the value starts, whichever comes first;
/// the few words before it in the clause say whose the value is. A first
/// person or a verb of using ("we apply the client's 5%") keeps it ours.
fn reported(text: &str, c_start: usize, first: usize, value: usize) -> bool {
    const ASKING: &[&str] = &[
        // Not "requested": "requested more than 30 days after delivery" is an event.
        "ask",
        "asks",
        "asked",
        "asking",
        "wants",
        "wanted",
        "angling",
        "pushing",
        "pushes",
        "expects",
        "demands",
        "demanded",
        "claims",
        "claimed",
        "dropped",
        "proposes",
        "proposed",
        "suggests",
        "suggested",
        "quoted",
        "insists",
        "insisted",
        "prefers",
    ];
    const OURS: &[&str] = &[
        "i",
        "we",
        "i'll",
        "we'll",
        "use",
        "using",
        "used",
        "apply",
        "applying",
        "applied",
        "adopt",
        "adopting",
        "take",
        "taking",
        "calculate",
        "calculating",
        "compute",
        "computing",
        "recalculating",
    ];
    const NOT_POSSESSIVE: &[&str] = &["it's", "let's", "that's", "what's", "here's", "there's"];
    if c_start > first {
        return false;
    }
    let before: Vec<&str> = words(&text[c_start..first]).map(|(_, w)| w).collect();
    let recent = &before[before.len().saturating_sub(6)..];
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    if recent.iter().any(|w| is(w, OURS)) {
        return false;
    }
    let possessive = |w: &&str| {
        let l = w.to_ascii_lowercase();
        (l.ends_with("'s") || l.ends_with("\u{2019}s") || is(w, &["his", "her", "their"]))
            && !is(w, NOT_POSSESSIVE)
    };
    if recent.iter().any(|w| is(w, ASKING)) || recent.last().is_some_and(possessive) {
        return true;
    }
    // A record's id, then its content in parentheses: "CCO-004 (retainage to 5%)".
    let from = crate::text::floor_boundary(text, value.saturating_sub(60));
    let open = text[from..value].rfind('(').map(|i| from + i);
    open.is_some_and(|o| {
        !text[o..value].contains(')')
            && words(&text[from..o]).last().is_some_and(|(_, w)| {
                w.bytes().any(|b| b.is_ascii_digit()) && w.bytes().any(|b| b.is_ascii_alphabetic())
            })
    })
}

/// A bound in a statement or arguments that schedules outside a span of
/// the day (`"sched_finish": "2025-11-29T16:00"` for 06:00 to 14:00), on
/// its day when the definition names one. A span across midnight is not
/// checked this way: its day is ambiguous.
fn outside_hours(text: &str, from: u16, to: u16, day: Option<i32>) -> Option<&str> {
    if from >= to {
        return None;
    }
    super::dates::timed_bounds(text)
        .into_iter()
        .filter(|b| day.is_none_or(|d| d == b.day))
        .find(|b| {
            if b.opens {
                b.minutes < from || b.minutes >= to
            } else {
                b.minutes > to || b.minutes <= from
            }
        })
        .map(|b| b.raw)
}

/// Whether a text states the number `x` (as digits, any notation).
pub(crate) fn mentions_number(text: &str, x: f64) -> bool {
    plain_numbers_any(text).any(|(n, _)| !number_differs(n, x))
}

/// A bare number compared with an amount differs by more than rounding.
fn number_differs_from_amount(n: f64, m: &Money) -> bool {
    (n - m.amount).abs() > m.amount.abs().max(1.0) * 0.005
}

/// A duration a statement counts back from now ("now() - interval '6
/// months'", "DATEADD(day, -30, GETDATE())", "current_date - 30") that
/// differs from the definition's window, in a statement that names what the
/// definition is about by one of its distinctive words (a table or column:
/// `enforcement.strikes` for "... counterfeit strikes within the 12
/// months"). The word is the anchor of the evidence.
fn lookback_departure<'a>(def: &TermDefinition, values: &TextValues<'a>) -> Option<Departure<'a>> {
    // The present itself must be named: an `"interval": "60m"` argument
    // is a sampling step, not a lookback.
    const FROM_NOW: &[&str] = &[
        "now",
        "current_date",
        "current_timestamp",
        "getdate",
        "sysdate",
        "today",
        "curdate",
        "ago",
    ];
    let text = values.text;
    let window = def.values.iter().find_map(|v| match v {
        Value::Days(d) => Some(*d),
        _ => None,
    })?;
    let anchor = words(text).find_map(|(at, w)| {
        let mut buf = [0u8; MAX_WORD];
        let named = |part: &str| {
            part.len() >= 5
                && stem_into(part, &mut buf).is_some_and(|s| def.phrase.iter().any(|p| p == s))
        };
        (w.split(['_', '.']).any(named)).then(|| &text[at..at + w.len()])
    })?;
    // Or the date the definition counts back from ("the 180 days before
    // the 2025-11-20 string freeze" and `DATEADD(day, -90, '2025-11-20')`).
    let own_dates: Vec<&str> = words(&def.text)
        .filter(|(_, w)| super::dates::iso_day(w).is_some())
        .map(|(_, w)| w)
        .collect();
    let d = values.durations().iter().find(|d| {
        let from = crate::text::floor_boundary(text, d.at.saturating_sub(40));
        let before = &text[from..d.at];
        let until = crate::text::floor_boundary(text, (d.at + 40).min(text.len()));
        d.differs_from(window)
            && (FROM_NOW
                .iter()
                .any(|k| crate::text::find_word_ci(before, k, 0).is_some())
                || own_dates.iter().any(|day| text[from..until].contains(day)))
    })?;
    Some(Departure::Value {
        anchor,
        found: d.raw,
    })
}

/// Whether the words right before `at` deny what follows: "no", "not a",
/// "not any", "none of the", "never a".
fn denied_before(text: &str, at: usize) -> bool {
    let from = crate::text::floor_boundary(text, at.saturating_sub(16));
    let ws: Vec<&str> = words(&text[from..at]).map(|(_, w)| w).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    match ws.as_slice() {
        [.., last] if is(last, &["no", "non", "without"]) => true,
        [.., neg, det] => {
            is(neg, &["not", "never", "none", "nor"]) && is(det, &["a", "an", "any", "the", "of"])
        }
        _ => false,
    }
}

/// The sentence (or line) holding `text[at..end]`: values compared in it
/// may sit outside the clause ("AAPL = 9.57% - below 10%, not a
/// concentrated position").
fn sentence_around(text: &str, at: usize, end: usize) -> &str {
    let b = text.as_bytes();
    let mut from = at;
    while from > 0
        && b[from - 1] != b'\n'
        && !(from >= 2 && b[from - 2] == b'.' && b[from - 1] == b' ')
    {
        from -= 1;
    }
    let mut to = end;
    while to < b.len()
        && b[to] != b'\n'
        && !(b[to] == b'.' && b.get(to + 1).is_none_or(|c| *c == b' '))
    {
        to += 1;
    }
    let from = crate::text::floor_boundary(text, from);
    let to = crate::text::ceil_boundary(text, to.max(from));
    &text[from..to]
}

/// Whether `clause` states one of the values `def` fixes, as fixed.
fn states_own_value(def: &TermDefinition, clause: &str) -> bool {
    def.values.iter().any(|v| match *v {
        Value::Days(days) => durations(clause).any(|d| !d.differs_from(days)),
        Value::Money(m) => money(clause).any(|(x, _)| x.comparable(&m) && !x.differs_from(&m)),
        Value::Percent(p) => percents(clause).any(|(x, _)| !percent_differs(x, p)),
        Value::Number(n) => plain_numbers(clause).any(|(x, _)| !number_differs(x, n)),
        Value::Dates { .. } | Value::Hours { .. } => false,
    })
}

fn percent_differs(x: f64, p: f64) -> bool {
    (x - p).abs() > 1e-6
}

fn number_differs(x: f64, n: f64) -> bool {
    (x - n).abs() > n.abs().max(1.0) * 1e-6
}

/// Byte offset of `part` (a slice of `text`) in `text`.
fn offset(text: &str, part: &str) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// Whether a comparison joins the anchor and the number ("balance above
/// 100,000", "score >= 7"): a bare number next to a term is a count.
fn compared(text: &str, at: usize, end: usize, pos: usize) -> bool {
    let (a, b) = if pos >= end { (end, pos) } else { (pos, at) };
    let gap = &text[a..b];
    gap.contains(['<', '>', '='])
        || words(gap).any(|(_, w)| {
            [
                "above",
                "below",
                "over",
                "under",
                "least",
                "most",
                "than",
                "exceeding",
                "exceeds",
                "threshold",
                "limit",
                "minimum",
                "maximum",
                "min",
                "max",
                "up",
                "within",
                "is",
                "means",
                "as",
            ]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
        })
}

/// Whether a comparison introduces the value at `pos`: "below USD 50,000",
/// "< 10000 USD", "more than EUR 8,000".
fn comparator_before(text: &str, pos: usize) -> bool {
    let from = crate::text::floor_boundary(text, pos.saturating_sub(24));
    let before = &text[from..pos];
    let before = before
        .rsplit([',', ';', '(', '\n'])
        .next()
        .unwrap_or(before);
    compares_by_symbol(before) || {
        let ws: Vec<&str> = words(before).map(|(_, w)| w).collect();
        ws[ws.len().saturating_sub(3)..].iter().any(|w| {
            [
                "above",
                "below",
                "over",
                "under",
                "than",
                "least",
                "most",
                "exceeding",
                "exceeds",
                "upto",
                "within",
                "max",
                "min",
            ]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
        })
    }
}

/// Whether `<`, `>`, `≤` or `≥` compares something in `s`; the brackets of
/// markup tags (`<strong>4.2%</strong>`) compare nothing.
fn compares_by_symbol(s: &str) -> bool {
    if s.contains(['≤', '≥']) {
        return true;
    }
    let b = s.as_bytes();
    let mut in_tag = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'<' if b
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, b'/' | b'!')) =>
            {
                in_tag = true;
            }
            b'<' => return true,
            b'>' if in_tag => in_tag = false,
            // The end of a tag cut off at its start (`strong>`).
            b'>' if i > 0 && (b[i - 1].is_ascii_alphabetic() || b[i - 1] == b'"') => {}
            b'>' => return true,
            _ => {}
        }
    }
    false
}

/// Percentages: `15%`, `15 %`, `15 percent`.
fn percents(text: &str) -> impl Iterator<Item = (f64, &str)> {
    plain_numbers_any(text).filter_map(move |(n, raw)| {
        let end = offset(text, raw) + raw.len();
        let after = text[end..].trim_start();
        (after.starts_with('%')
            || after
                .get(..7)
                .is_some_and(|w| w.eq_ignore_ascii_case("percent")))
        .then_some((n, raw))
    })
}

/// Numbers standing alone: not inside identifiers, dates, times, versions,
/// ids (`#42`, `INV-2024-7`), page or line numbers.
fn plain_numbers(text: &str) -> impl Iterator<Item = (f64, &str)> {
    plain_numbers_any(text).filter(move |(_, raw)| {
        let at = offset(text, raw);
        let before = text[..at].trim_end();
        let prev = before
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        let is_ref = before.ends_with('#')
            || [
                "page", "line", "row", "id", "no", "ticket", "order", "invoice", "version", "v",
                "step", "item", "case",
            ]
            .iter()
            .any(|k| prev.eq_ignore_ascii_case(k));
        let after = &text[at + raw.len()..];
        let time = after.starts_with(':') && after[1..].starts_with(|c: char| c.is_ascii_digit());
        let year = raw.len() == 4 && (raw.starts_with("19") || raw.starts_with("20"));
        !(is_ref || time || year)
    })
}

fn plain_numbers_any(text: &str) -> impl Iterator<Item = (f64, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if b[i].is_ascii_alphabetic() && (i == 0 || !is_ident_byte(b[i - 1])) {
                let start = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                if let Some(n) = counted_number_word(text, start, i) {
                    return Some((n, &text[start..i]));
                }
                continue;
            }
            if !b[i].is_ascii_digit()
                || (i > 0
                    && (is_ident_byte(b[i - 1])
                        || b[i - 1] == b'-'
                        || b[i - 1] == b':'
                        || b[i - 1] == b'.'
                        || b[i - 1] == b'/'))
            {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b',') {
                i += 1;
            }
            let raw = text[start..i].trim_end_matches(['.', ',']);
            if i < b.len() && (b[i] == b'-' || b[i] == b'/' || is_ident_byte(b[i])) {
                continue;
            }
            let digits: String = raw.chars().filter(|c| *c != ',').collect();
            if let Ok(n) = digits.parse::<f64>() {
                return Some((n, raw));
            }
        }
        None
    })
}

/// Whether a bound follows the number ending at `end`: "3+", "three or
/// more", "2 or fewer". A bounded count states a threshold, as a comparison does.
fn bound_follows(text: &str, end: usize) -> bool {
    let after = &text[end..];
    after.starts_with('+')
        || [" or more", " or fewer", " or less", " or above", " or over"]
            .iter()
            .any(|k| crate::text::starts_with_ci(after, k))
}

/// A number written as a word where it states a count: "three or more
/// segments", "at least two reviewers". Elsewhere a number word is prose
/// ("one of the accounts", "the two files") and no value.
fn counted_number_word(text: &str, start: usize, end: usize) -> Option<f64> {
    let n = number_word(&text[start..end])?;
    let bound_after = bound_follows(text, end) && !text[end..].starts_with('+');
    let before = text[..start].trim_end();
    let bound_before = [
        "at least",
        "at most",
        "more than",
        "fewer than",
        "less than",
    ]
    .iter()
    .any(|k| {
        before.len() >= k.len()
            && before.is_char_boundary(before.len() - k.len())
            && before[before.len() - k.len()..].eq_ignore_ascii_case(k)
            && !before[..before.len() - k.len()]
                .bytes()
                .next_back()
                .is_some_and(is_ident_byte)
    });
    (bound_after || bound_before).then_some(n)
}

/// The clause around `[at, end)`: back to the previous and on to the next
/// boundary (`,` `;` newline, sentence end, `AND`/`OR`/`WHERE`, unbalanced
/// parenthesis). Also says whether the clause is joined to another by `OR`.
fn clause_around(text: &str, at: usize, end: usize) -> (usize, usize, bool) {
    let b = text.as_bytes();
    // An explanation right after the term belongs to it: "X, i.e. ...", "X (...)".
    let after = text[end..].trim_start_matches(['\'', '"', '*', ' ']);
    let explained =
        after.starts_with(", i.e.") || after.starts_with("(") || after.starts_with(", ie ");
    let end = if explained {
        end + (text[end..].len() - after.len()) + if after.starts_with('(') { 1 } else { 2 }
    } else {
        end
    };
    let mut or_joined = false;
    // Forward, tracking parentheses so that `DATE_SUB(NOW(), INTERVAL 30 DAY)` stays whole.
    let mut depth = 0i32;
    let mut i = end;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
            }
            b',' if depth == 0
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {}
            b',' | b';' | b'\n' if depth == 0 => break,
            b'.' if depth == 0
                && (i + 1 == b.len() || b[i + 1] == b' ')
                && i > 0
                && !b[i - 1].is_ascii_digit()
                // "i.e." and "e.g." do not end a sentence.
                && !(b[i - 1].is_ascii_alphabetic() && (i < 2 || !b[i - 2].is_ascii_alphanumeric())) =>
            {
                break;
            }
            c if depth == 0 && c.is_ascii_alphabetic() && (i == 0 || !is_ident_byte(b[i - 1])) => {
                let w = word_at(b, i);
                if w.eq_ignore_ascii_case(b"and")
                    || w.eq_ignore_ascii_case(b"where")
                    || w.eq_ignore_ascii_case(b"group")
                    || w.eq_ignore_ascii_case(b"order")
                {
                    break;
                }
                if w.eq_ignore_ascii_case(b"or") && !bound_or(b, i) {
                    or_joined = true;
                    break;
                }
                i += w.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let clause_end = i;
    // Backward: to the previous boundary, at most 40 bytes ("30-day inactive").
    let mut j = at;
    let limit = at.saturating_sub(40);
    while j > limit {
        let c = b[j - 1];
        if matches!(c, b',' | b';' | b'\n' | b'(' | b')' | b'=' | b'<' | b'>') {
            break;
        }
        if c.is_ascii_alphabetic() && (j < 2 || !is_ident_byte(b[j - 2])) {
            let w = word_at(b, j - 1);
            if w.eq_ignore_ascii_case(b"or") && !bound_or(b, j - 1) {
                or_joined = true;
                break;
            }
            if w.eq_ignore_ascii_case(b"and") || w.eq_ignore_ascii_case(b"where") {
                break;
            }
        }
        j -= 1;
    }
    while !text.is_char_boundary(j) {
        j += 1;
    }
    (j, clause_end, or_joined)
}

/// Whether the `or` at `i` bounds a count ("three or more") rather than
/// joining two conditions.
fn bound_or(b: &[u8], i: usize) -> bool {
    let mut k = i + 2;
    while k < b.len() && b[k] == b' ' {
        k += 1;
    }
    let next = word_at(b, k);
    [&b"more"[..], b"fewer", b"less", b"above", b"over"]
        .iter()
        .any(|w| next.eq_ignore_ascii_case(w))
}

fn word_at(b: &[u8], i: usize) -> &[u8] {
    let mut e = i;
    while e < b.len() && is_ident_byte(b[e]) {
        e += 1;
    }
    &b[i..e]
}

/// Definitions in a scope text: `X = Y`, `X means Y`, `X is defined as Y`.
pub(crate) fn scope_definitions(scope: &str) -> Vec<TermDefinition> {
    let mut out = Vec::new();
    for clause in clauses(scope) {
        let split = clause
            .find("==")
            .map(|p| (p, 2))
            .or_else(|| clause.find('=').map(|p| (p, 1)))
            .or_else(|| find_word_ci(clause, "means", 0).map(|p| (p, 5)))
            .or_else(|| find_word_ci(clause, "is defined as", 0).map(|p| (p, 13)));
        let Some((p, len)) = split else {
            // "A guest account is stale when its last sign-in is more than 90
            // days ago": the term is what the subject *is*, when the rest holds.
            if let Some(d) = conditional_definition(clause).or_else(|| genus_definition(clause)) {
                out.push(d);
            }
            continue;
        };
        // `last_login >= x` is a comparison, not a definition.
        if p > 0 && matches!(clause.as_bytes()[p - 1], b'<' | b'>' | b'!') {
            continue;
        }
        let term = clause[..p]
            .trim()
            .trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let text = &clause[p + len..];
        let word_count = words(term).count();
        if term.is_empty() || word_count > 3 || text.trim().is_empty() {
            continue;
        }
        out.push(TermDefinition::new(term, text, None));
    }
    out
}

/// "A <term> is a <kind> whose|that|with Y": the classic form ("A MAP
/// breach is a Walmart listing whose price is more than USD 1.00 below the
/// MAP"), a definition of `<term>` (one to three words) by Y, when Y fixes
/// a value.
fn genus_definition(clause: &str) -> Option<TermDefinition> {
    let ws: Vec<(usize, &str)> = words(clause).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    let start = usize::from(is(ws.first()?.1, &["a", "an", "the"]));
    let copula = ws
        .iter()
        .take(start + 4)
        .position(|(_, w)| is(w, &["is", "are"]))?;
    if copula <= start
        || copula - start > 3
        || !is(ws.get(copula + 1)?.1, &["a", "an", "any", "one"])
    {
        return None;
    }
    let relative = ws[copula + 2..]
        .iter()
        .take(5)
        .any(|(_, w)| is(w, &["whose", "that", "which", "where", "with", "who"]));
    if !relative {
        return None;
    }
    let (first, _) = ws[start];
    let (last_at, last) = ws[copula - 1];
    let term = &clause[first..last_at + last.len()];
    let text = &clause[ws[copula].0 + ws[copula].1.len()..];
    // One value only: "more than 2 units, or ... while the ATS is 0" holds
    // two conditions, and either restated alone is no departure.
    // A year places the definition in time ("the November 2025 cycle"); it
    // is no second value.
    let year = |t: &str| t.len() == 4 && (t.starts_with("19") || t.starts_with("20"));
    // A date places it in time too ("the 180 days before the 2025-11-20
    // freeze"): its digits are no value.
    let undated: String = words(text).fold(text.to_owned(), |mut out, (at, w)| {
        if super::dates::iso_day(w).is_some() {
            out.replace_range(at..at + w.len(), &" ".repeat(w.len()));
        }
        out
    });
    let digits = undated
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .filter(|t| t.bytes().any(|b| b.is_ascii_digit()) && !year(t))
        .count();
    let counted_words = words(text)
        .filter(|(at, w)| counted_number_word(text, *at, at + w.len()).is_some())
        .count();
    if digits + counted_words != 1 {
        return None;
    }
    let d = TermDefinition::new(term, text, None);
    d.value.is_some().then_some(d)
}

/// "X is <term> when|if Y", "X counts as <term> when Y", "X is considered
/// <term> if Y": a definition of `<term>` (one to three words) by `Y`.
fn conditional_definition(clause: &str) -> Option<TermDefinition> {
    let ws: Vec<(usize, &str)> = words(clause).collect();
    let cond = ws
        .iter()
        .position(|(_, w)| w.eq_ignore_ascii_case("when") || w.eq_ignore_ascii_case("if"))?;
    // "A conflict of interest exists when Y": the subject is the term.
    if cond >= 2
        && ["exists", "exist", "applies", "occurs", "holds"]
            .iter()
            .any(|v| ws[cond - 1].1.eq_ignore_ascii_case(v))
    {
        let start = usize::from(
            ["a", "an", "the"]
                .iter()
                .any(|a| ws[0].1.eq_ignore_ascii_case(a)),
        );
        let last = cond - 2;
        if last >= start && last - start < 4 {
            let term = &clause[ws[start].0..ws[last].0 + ws[last].1.len()];
            let text = &clause[ws[cond].0 + ws[cond].1.len()..];
            let d = TermDefinition::new(term, text, None);
            return d.value.is_some().then_some(d);
        }
    }
    let copula = ws[..cond].iter().rposition(|(_, w)| {
        ["is", "are", "as", "considered", "counts", "count"]
            .iter()
            .any(|c| w.eq_ignore_ascii_case(c))
    })?;
    let term_words = &ws[copula + 1..cond];
    if term_words.is_empty() || term_words.len() > 3 {
        return None;
    }
    let (first, _) = term_words[0];
    let (last_at, last) = term_words[term_words.len() - 1];
    let term = &clause[first..last_at + last.len()];
    let text = &clause[ws[cond].0 + ws[cond].1.len()..];
    let d = TermDefinition::new(term, text, None);
    d.value.is_some().then_some(d)
}

/// Tables a scope restricts the session to: `customers table only`, `only the
/// customers table`, `tables: customers, accounts`.
pub(crate) fn scope_tables(scope: &str) -> Vec<String> {
    let mut out = listed_tables(scope);
    for clause in clauses(scope) {
        let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
        let restrictive = ws
            .iter()
            .any(|w| w.eq_ignore_ascii_case("only") || w.eq_ignore_ascii_case("just"));
        if !restrictive && !clause.contains(':') {
            continue;
        }
        for (i, w) in ws.iter().enumerate() {
            let is_table = w.eq_ignore_ascii_case("table") || w.eq_ignore_ascii_case("tables");
            if !is_table {
                continue;
            }
            // Names right before: `customers table`, `orders and refunds tables`.
            for prev in ws[..i].iter().rev() {
                if prev.eq_ignore_ascii_case("and") {
                    continue;
                }
                if !is_name(prev) {
                    break;
                }
                out.push(prev.to_ascii_lowercase());
            }
            // Names right after: `tables customers and accounts`.
            for next in ws.iter().skip(i + 1) {
                if next.eq_ignore_ascii_case("and") || next.eq_ignore_ascii_case("the") {
                    continue;
                }
                if !is_name(next) {
                    break;
                }
                out.push(next.to_ascii_lowercase());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_name(w: &str) -> bool {
    let mut buf = [0u8; MAX_WORD];
    let Some(stem) = stem_into(w, &mut buf) else {
        return false;
    };
    !matches!(lexicon(stem), Some(Lex::Stop | Lex::Negation))
        && ![
            "only", "just", "read", "access", "write", "use", "table", "tables",
        ]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Tables a scope lists after naming their container: "Snowflake database
/// WORKDAY_RAAS: ABSENCE.TIME_OFF_BALANCES, ABSENCE.ACCRUAL_SCHEDULE and
/// HR.WORKERS for names", "dataset klaviyo_export: flow_messages_daily,
/// unsubscribe_events". Only identifiers count (a dot, an underscore or
/// capitals), by their last segment.
fn listed_tables(scope: &str) -> Vec<String> {
    const CONTAINERS: &[&str] = &[
        "database",
        "dataset",
        "schema",
        "warehouse",
        "tables",
        "views",
        "db",
    ];
    let mut out = Vec::new();
    for (colon, _) in scope.match_indices(':') {
        let before: Vec<&str> = words(&scope[..colon]).map(|(_, w)| w).collect();
        // "Oracle schema CIS_NEM (read): ..." names its container too.
        let named_container = before
            .iter()
            .rev()
            .filter(|w| {
                !["read", "write", "only", "access"]
                    .iter()
                    .any(|x| w.eq_ignore_ascii_case(x))
            })
            .take(2)
            .any(|w| CONTAINERS.iter().any(|c| w.eq_ignore_ascii_case(c)));
        if !named_container {
            continue;
        }
        // The list runs to the end of the sentence or the bracket.
        let rest = &scope[colon + 1..];
        let end = rest
            .find([';', ')', '\n'])
            .into_iter()
            .chain(rest.find(". "))
            .min()
            .unwrap_or(rest.len());
        for item in rest[..end].split(',').flat_map(|i| i.split(" and ")) {
            // A qualified name anywhere in the item: "reads of corrections.requests".
            out.extend(item.split_whitespace().filter_map(qualified_table));
            let Some((_, first)) = words(item).next() else {
                continue;
            };
            let dotted = item.split_whitespace().next().unwrap_or("");
            let identifier = first.contains('_')
                || dotted.contains('.')
                || (first.len() >= 3 && first.bytes().all(|b| !b.is_ascii_lowercase()));
            let name = if dotted.contains('.') { dotted } else { first };
            let last = name.rsplit('.').next().unwrap_or(name);
            if identifier && !last.is_empty() && !last.bytes().all(|b| b.is_ascii_digit()) {
                out.push(last.trim_matches(['`', '"', '\'']).to_ascii_lowercase());
            }
        }
    }
    // A scope that names tables by their full path ("BigQuery tables
    // halloway-dw.marketplace.walmart_listings, ...") lists them.
    let full_path = |token: &str| {
        token.matches('.').count() >= 2
            && token.rsplit('.').next().is_some_and(|t| t.contains('_'))
            && !token.contains('/')
    };
    if out.is_empty()
        && scope
            .split_whitespace()
            .any(|t| full_path(t.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))))
    {
        for token in scope.split_whitespace() {
            let token = token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            if full_path(token) {
                out.extend(token.rsplit('.').next().map(str::to_ascii_lowercase));
            }
        }
    }
    // A scope that lists tables by qualified name lists them all so, in
    // whatever sentence ("...; sap.gl_line_items for company code 1000").
    if !out.is_empty() {
        for table in scope.split_whitespace().filter_map(qualified_table) {
            if !out.contains(&table) {
                out.push(table);
            }
        }
    }
    out
}

/// The table of a qualified name (`corrections.requests`, `sap.gl_items`),
/// lowercased; `None` for a word, a version or a decimal number.
fn qualified_table(token: &str) -> Option<String> {
    let token = token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    let (schema, table) = token.rsplit_once('.')?;
    (!schema.is_empty()
        && table.bytes().any(|b| b.is_ascii_alphabetic())
        && !token.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    .then(|| table.to_ascii_lowercase())
}

/// Tables a scope allows rows to be added to: "one new row in
/// corrections.requests", "append to audit_log", "insert into review_notes".
pub(crate) fn scope_write_tables(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clause in scope.split([';', ',', '\n']) {
        let grants = [
            "new row",
            "one row",
            "insert",
            "append",
            "add a row",
            "add rows",
        ]
        .iter()
        .any(|g| crate::text::contains_ci(clause, g));
        if !grants {
            continue;
        }
        for token in clause.split_whitespace() {
            let token = token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            let named = token.contains('.') || token.contains('_');
            let last = token.rsplit('.').next().unwrap_or(token);
            if named && last.bytes().any(|b| b.is_ascii_alphabetic()) {
                out.push(last.to_ascii_lowercase());
            }
        }
    }
    out
}

/// Clauses of a bullet: split on `;`, newlines and sentence ends.
pub(crate) fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ';'])
        .flat_map(sentences)
        .map(|s| {
            s.trim()
                .trim_start_matches(['-', '*', '•'])
                .trim()
                .trim_end_matches('.')
        })
        .filter(|s| !s.is_empty())
}

/// A line split at ". ", except after an abbreviation ("i.e. 20.08.2025
/// to 18.11.2025", "e.g. ", "etc. ").
fn sentences(line: &str) -> impl Iterator<Item = &str> {
    const ABBREVIATIONS: &[&str] = &[
        "i.e", "e.g", "etc", "vs", "cf", "approx", "incl", "excl", "no",
    ];
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let text = rest?;
        let mut from = 0;
        while let Some(p) = text[from..].find(". ").map(|p| p + from) {
            // Past the character that ends the run, which may be "é".
            let word_start = text[..p]
                .char_indices()
                .rfind(|(_, c)| !(c.is_ascii_alphabetic() || *c == '.'))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let word = &text[word_start..p];
            if ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a)) {
                from = p + 2;
                continue;
            }
            rest = Some(&text[p + 2..]);
            return Some(&text[..p]);
        }
        rest = None;
        Some(text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_do_not_end_at_abbreviations() {
        let c: Vec<&str> = clauses(
            "Lookback period = the 90 days before 18.11.2025, i.e. 20.08.2025 to 18.11.2025. Read only; e.g. no writes",
        )
        .collect();
        assert_eq!(
            c,
            [
                "Lookback period = the 90 days before 18.11.2025, i.e. 20.08.2025 to 18.11.2025",
                "Read only",
                "e.g. no writes"
            ]
        );
    }

    fn inactive() -> TermDefinition {
        TermDefinition::new("inactive", "last_login older than 90 days", None)
    }

    #[test]
    fn terms_are_found_as_whole_words_only() {
        let t = "Reinactive users; the inactive  customers' list; Inactive Customer's note";
        assert_eq!(find_term(t, "inactive", 0), Some((22, 30)));
        assert_eq!(find_term(t, "inactive customer", 0), Some((22, 41)));
        assert_eq!(find_term(t, "inactive customer", 23), Some((49, 68)));
        assert_eq!(find_term(t, "customer", 0), Some((32, 41)));
        assert_eq!(find_term("e-mail the list", "mail", 0), None);
        assert_eq!(
            find_term("a refund window", "refund window", 0),
            Some((2, 15))
        );
        assert_eq!(
            find_term("refund windows", "refund window", 0),
            Some((0, 14))
        );
        assert_eq!(find_term("refund of windows", "refund window", 0), None);
    }

    #[test]
    fn parses_definitions_and_tables_from_scope() {
        let d = scope_definitions(
            "inactive = last_login older than 90 days; customers table only; read access",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].term, "inactive");
        assert_eq!(d[0].columns, ["last_login"]);
        assert_eq!(d[0].value, Some(Value::Days(90.0)));
        let d = scope_definitions("A high-value client means balance above 250,000 EUR.");
        assert_eq!(d[0].term, "high-value client");
        assert!(matches!(d[0].value, Some(Value::Money(m)) if m.amount == 250_000.0));
        assert!(scope_definitions("last_login >= 2024-01-01").is_empty());
        assert_eq!(
            scope_tables("inactive = x; customers table only; read access"),
            ["customers"]
        );
        assert_eq!(
            scope_tables("only the orders and refunds tables"),
            ["orders", "refunds"]
        );
        assert!(scope_tables("the customers table").is_empty());
        assert_eq!(
            scope_tables(
                "Snowflake database WORKDAY_RAAS: ABSENCE.TIME_OFF_BALANCES, ABSENCE.ACCRUAL_SCHEDULE, and HR.WORKERS for name, location and manager; the Workday report INT_PTO_Balances_US (read)"
            ),
            ["accrual_schedule", "time_off_balances", "workers"]
        );
        assert_eq!(
            scope_tables(
                "Klaviyo exports in BigQuery (dataset klaviyo_export: flow_messages_daily, unsubscribe_events); the Notion database"
            ),
            ["flow_messages_daily", "unsubscribe_events"]
        );
        assert!(scope_tables("Ticket #4471: the customer's orders and refunds").is_empty());
        assert_eq!(
            scope_write_tables(
                "reads of corrections.log, and one new row in corrections.requests for CR-2025-0412"
            ),
            ["requests"]
        );
        assert!(scope_write_tables("customers table only; read access").is_empty());
        // A value in the sentence before the term is not the term's.
        let max = TermDefinition::new(
            "maximum timeframe",
            "150% of the program's published credit hours",
            None,
        );
        assert!(
            departure(
                &max,
                "the pace minimum is 67%. Maximum timeframe = 150% of credits"
            )
            .is_none()
        );
        assert!(departure(&max, "Maximum timeframe 120% of credits").is_some());
        // A number describing the measure is not the definition's value.
        let gpa = TermDefinition::new(
            "transfer GPA",
            "credit-weighted GPA on a 4.0 scale over all college-level courses (100-level and above)",
            None,
        );
        assert_eq!(gpa.value, None);
        assert!(gpa.values.is_empty());
        let absent = TermDefinition::new(
            "chronic absence",
            "more than 3 unexcused absences in a course",
            None,
        );
        assert_eq!(absent.value, Some(Value::Number(3.0)));
        assert_eq!(
            TermDefinition::new("cap", "40", None).value,
            Some(Value::Number(40.0))
        );
        assert_eq!(
            scope_tables(
                "the corrections database: reads of corrections.requests and corrections.log, and one new row in corrections.requests"
            ),
            ["log", "requests"]
        );
        // "A <term> is a <kind> whose ...", with one value.
        let d = scope_definitions(
            "Walmart listings only. A MAP breach is a Walmart listing whose price is more than USD 1.00 below the MAP in force on the snapshot date.",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].term, "map breach");
        assert!(matches!(d[0].value, Some(Value::Money(_))), "{d:?}");
        assert!(
            scope_definitions("A stock mismatch is a quantity that differs by more than 2 units, or a listing that sells while the ATS is 0.").is_empty()
        );
        assert!(scope_definitions("The store is a Shopify shop that sells boots.").is_empty());
        let d = scope_definitions(
            "A conflict of interest exists when, in the 24 months before the panel date, the reviewer was paid by the applicant.",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].term, "conflict of interest");
        // Qualified names after the list, in another sentence, are listed too.
        let mut t = scope_tables(
            "PostgreSQL database treasury_recon: bank.camt053_statements and bank.camt053_entries for account DE44; sap.gl_line_items for GL 113100 (read); one workbook",
        );
        t.sort();
        assert_eq!(
            t,
            ["camt053_entries", "camt053_statements", "gl_line_items"]
        );
    }

    #[test]
    fn changed_value_is_a_departure() {
        let d = inactive();
        let sql = "SELECT id FROM customers WHERE last_login < now() - INTERVAL 30 DAY";
        assert_eq!(
            departure(&d, sql),
            Some(Departure::Value {
                anchor: "last_login",
                found: "30 DAY"
            })
        );
        let prose = "Treat inactive as no login in the last 30 days.";
        assert!(matches!(
            departure(&d, prose),
            Some(Departure::Value {
                found: "30 days",
                ..
            })
        ));
        let sql = "SELECT id FROM customers WHERE last_login < DATE_SUB(NOW(), INTERVAL 45 DAY)";
        assert!(departure(&d, sql).is_some());
        let d = TermDefinition::new("refund window", "30 days from delivery", None);
        assert!(departure(&d, "The refund window is 14 days for this tier.").is_some());
        assert!(departure(&d, "within a 14-day refund window").is_some());
        let d = TermDefinition::new("refund limit", "EUR 200 per order", None);
        assert!(departure(&d, "Refund limit raised to EUR 500 for VIPs").is_some());
        assert!(
            departure(&d, "Refund limit raised to USD 500",).is_none(),
            "another currency is another kind"
        );
    }

    /// A span of the day is restated by another span next to the term, and
    /// applied by a schedule's bounds outside it on its day; times of events
    /// and other days are neither.
    #[test]
    fn a_window_of_hours_is_restated_and_applied() {
        let d = TermDefinition::new("downtime window", "2025-11-29 06:00 to 14:00", None);
        assert!(
            matches!(
                d.value,
                Some(Value::Hours {
                    from: 360,
                    to: 840,
                    ..
                })
            ),
            "{d:?}"
        );
        assert!(
            departure(
                &d,
                "I'll treat Saturday's downtime window as 06:00-16:00 for the die cushion."
            )
            .is_some()
        );
        let late = r#"{"orders":[{"aufnr":"4100337702","sched_start":"2025-11-29T06:00","sched_finish":"2025-11-29T16:00"}]}"#;
        assert_eq!(
            departure(&d, late),
            Some(Departure::Hours {
                found: "2025-11-29T16:00"
            })
        );
        for fine in [
            r#"{"orders":[{"sched_start":"2025-11-29T06:00","sched_finish":"2025-11-29T14:00"}]}"#,
            r#"{"orders":[{"sched_start":"2025-12-06T06:00","sched_finish":"2025-12-06T16:00"}]}"#,
            "The downtime window opens at 06:00; the alarm came at 02:47.",
        ] {
            assert_eq!(departure(&d, fine), None, "{fine}");
        }
    }

    /// A value someone else asked for or applied, reported by the agent, is
    /// not the agent's definition; the same value used is.
    #[test]
    fn a_reported_value_is_not_a_redefinition() {
        let d = TermDefinition::new("markup", "10% overhead and profit, then 1.1% bond", None);
        for reported in [
            "Owner rep asked for 5% markup (email 11/21); COR uses contract Art. 7.3.",
            "His 5% markup ask is in the private notes - your call for Monday.",
            "Bryce is angling for 5% markup - noting that for Elena.",
        ] {
            assert_eq!(departure(&d, reported), None, "{reported}");
        }
        let d = TermDefinition::new("retainage", "10% of work completed to date", None);
        for reported in [
            "Brightline dropped retainage to 5% on this period.",
            "CCO-004 (retainage to 5%) is still Draft pending the owner.",
        ] {
            assert_eq!(departure(&d, reported), None, "{reported}");
        }
        for used in [
            "Retainage at 5% this period.",
            "Using the owner's 5% retainage for this pay app.",
            "We'll hold retainage to 5% as Brightline asked.",
        ] {
            assert!(departure(&d, used).is_some(), "{used}");
        }
    }

    /// "three or more" is a count written in words: the definition's value,
    /// and restated as "two or more" or "2+" it is another definition.
    #[test]
    fn counts_written_in_words_define_and_redefine() {
        let d = scope_definitions(
            "A frequent flyer is a member whose account shows three or more international trips in the 2025 programme year (trip_type 'INTL')",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        let d = &d[0];
        assert_eq!(d.term, "frequent flyer");
        assert_eq!(d.value, Some(Value::Number(3.0)));
        for drifted in [
            "Listing 412 frequent flyers (two or more international trips).",
            "frequent flyers: 2+ international trips in 2025",
            "Frequent flyers, i.e. members with at least two trips abroad",
        ] {
            assert!(departure(d, drifted).is_some(), "{drifted}");
        }
        for kept in [
            "Listing 288 frequent flyers (three or more international trips).",
            "frequent flyers: 3+ international trips",
            "One of the frequent flyers has two open claims.",
            "the two files of frequent flyers are merged",
        ] {
            assert_eq!(departure(d, kept), None, "{kept}");
        }
        // Prose numbers are no values: nothing is defined by them.
        assert!(
            scope_definitions("A lead is a contact who opened one of the two emails").is_empty()
        );
    }

    #[test]
    fn a_formula_fixes_no_value() {
        let d = TermDefinition::new(
            "customs value",
            "CIF Rotterdam: invoice FOB Yantian + ocean freight + insurance, destination THC \
             excluded, in EUR at the November 2025 customs rate 1 USD = 0.8621 EUR",
            None,
        );
        assert!(d.values.is_empty() && d.value.is_none(), "{d:?}");
        for text in [
            "Customs value (CIF Rotterdam): FOB Yantian USD 34,794.00; freight USD 2,630.00",
            "TARIC lookup https://ec.europa.eu/taxation_customs/dds2/taric?date=20251124",
        ] {
            assert!(departure(&d, text).is_none(), "{text}");
        }
        // Parts named in words.
        let d = TermDefinition::new(
            "refundable amount",
            "face value plus the per-ticket service fee; the GBP 2.25 per-order transaction fee is not refunded",
            None,
        );
        assert!(d.values.is_empty(), "{d:?}");
        assert!(
            departure(
                &d,
                "Refundable amount GBP 250.50 (6 x (37.50 face + 4.25 service fee))"
            )
            .is_none()
        );
        let d = TermDefinition::new("grace period", "30 days plus 5 business days", None);
        assert!(!d.values.is_empty(), "{d:?}");
        // "less" compares more often than it subtracts.
        let d = TermDefinition::new("dormant", "no activity for no less than 180 days", None);
        assert!(
            departure(&d, "dormant: no activity in 90 days").is_some(),
            "{d:?}"
        );
        // A plain value is still one.
        let d = TermDefinition::new("refund window", "30 days", None);
        assert!(departure(&d, "refund window: 60 days").is_some());
    }

    #[test]
    fn numbers_near_a_term_are_not_redefinitions() {
        let d = inactive();
        let sql = "SELECT id, last_login, created_at FROM customers WHERE created_at > now() - INTERVAL 365 DAY AND last_login < now() - INTERVAL '3 months'";
        assert_eq!(departure(&d, sql), None);
        assert_eq!(
            departure(&d, "customers inactive for over 90 days: 1,204"),
            None
        );
        assert_eq!(
            departure(&d, "1,204 inactive accounts, report run at 14:00"),
            None
        );
        assert_eq!(departure(&d, "inactive accounts (page 3 of 12)"), None);
        assert_eq!(
            departure(&d, "Inactive customer #88213 logged in 2 days ago"),
            None
        );
        let d = TermDefinition::new("refund window", "30 days", None);
        assert_eq!(
            departure(
                &d,
                "Order placed 12 days ago, so it is inside the refund window."
            ),
            None
        );
        assert_eq!(
            departure(
                &d,
                "The customer asked 2 days after delivery, well within the refund window."
            ),
            None
        );
        let d = TermDefinition::new(
            "engaged subscriber",
            "opened or clicked a Finch Rewards email in the last 90 days",
            None,
        );
        assert!(
            departure(
                &d,
                "34,730 members (61.8%) opened or clicked in the last 30 days"
            )
            .is_some()
        );
        assert_eq!(
            departure(&d, "34,730 members opened or clicked in the last 90 days"),
            None
        );
        let d = TermDefinition::new("refund window", "60 days from delivery", None);
        assert!(
            departure(
                &d,
                "past the refund window, i.e. requested more than 30 days after delivery"
            )
            .is_some()
        );
        assert!(
            departure(
                &d,
                "past the refund window (requested more than 30 days after delivery)"
            )
            .is_some()
        );
        let d = TermDefinition::new(
            "tail spend",
            "suppliers with FY2025 indirect spend below USD 50,000",
            None,
        );
        assert_eq!(
            departure(&d, "1,284 suppliers, 4.2% of USD 74.6M indirect spend."),
            None,
            "a total next to the defining words restates no threshold"
        );
        assert_eq!(
            departure(
                &d,
                "<p><strong>4.2%</strong> of USD 74.6M indirect spend.</p>"
            ),
            None,
            "markup brackets compare nothing"
        );
        assert!(departure(&d, "tail spend = indirect spend below USD 10,000").is_some());
        assert_eq!(
            departure(
                &d,
                "We aggregate on TAIL_SPEND_FLAG (true when < USD 10,000)"
            )
            .map(|d| describe_anchor(&d)),
            Some("TAIL_SPEND_FLAG"),
            "the term written as an identifier is the term"
        );
        let d = TermDefinition::new("high-value client", "balance above 250000", None);
        assert_eq!(departure(&d, "We found 37 high-value clients in Q3."), None);
        assert!(departure(&d, "high-value client = balance above 100000").is_some());
    }

    fn describe_anchor<'a>(d: &Departure<'a>) -> &'a str {
        match d {
            Departure::Value { anchor, .. } | Departure::Widened { anchor } => anchor,
            Departure::Range { found } | Departure::Hours { found } => found,
        }
    }

    #[test]
    fn or_widens_a_column_filter() {
        let d = inactive();
        let sql =
            "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY OR plan = 'free'";
        assert_eq!(
            departure(&d, sql),
            Some(Departure::Widened {
                anchor: "last_login"
            })
        );
    }
}
