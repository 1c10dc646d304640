//! Date ranges in prose, arguments and SQL: "1 to 30 November 2025",
//! "3-30 Nov", "November 3 to 30, 2025", "2025-11-03 to 2025-11-30",
//! `BETWEEN '2025-11-01' AND '2025-11-30'`, `ts >= '2025-11-03' AND ts <
//! '2025-12-01'`, `{"start_date": "2025-11-03", "end_date": "2025-11-30"}`.
//!
//! A window defined by its dates ("define reporting window = 1 to 30
//! November 2025") is restated when a text runs the same work over a
//! shifted range (3 to 30 November, 1 November to 1 December): both bounds
//! within a week of the defined ones, one of them different. A range far
//! inside the window (the first week of November) is a breakdown of it, not
//! a new definition, and a range elsewhere in the calendar (October, for a
//! comparison) is another period.
//!
//! Written by hand: the date crates parse one date in a known format; what
//! is needed here is finding ranges in free text, in several notations.

use crate::text::words;

/// Days a bound may move and still be the same window, shifted.
const SHIFT: i32 = 7;

/// Days a window may be stretched at one end and still be the same window.
const STRETCH: i32 = 92;

/// A range of days found in a text, both ends inclusive, as days since
/// 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateRange<'a> {
    pub from: i32,
    pub to: i32,
    /// The range as written.
    pub raw: &'a str,
    /// A bound has a time of day (`>= '2025-11-24T14:00'`): two shifts of
    /// one day look alike at day precision, so it is never read as a shift.
    pub timed: bool,
}

impl DateRange<'_> {
    /// Whether this range is the window `[from, to]` shifted: another range
    /// with both bounds within a week of the window's.
    /// Whether this range departs from the window `[from, to]`: shifts it
    /// (see [`DateRange::shifts`]), or, for a window that looks back from
    /// its end, keeps the end and starts more than a week later (a 30-day
    /// pull for a 90-day lookback).
    pub(crate) fn departs(&self, from: i32, to: i32, lookback: bool) -> bool {
        self.shifts(from, to)
            || (lookback && !self.timed && self.to == to && self.from > from + SHIFT)
    }

    pub(crate) fn shifts(&self, from: i32, to: i32) -> bool {
        if self.timed {
            return false;
        }
        // "billing period 3 Nov - 3 Dec" stored as 3 Nov to 2 Dec: a prose
        // period's end is often the first day after it.
        if self.from == from && self.to == to - 1 {
            return false;
        }
        let shifted = (self.from != from || self.to != to)
            && (self.from - from).abs() <= SHIFT
            && (self.to - to).abs() <= SHIFT;
        // Or stretched: one bound kept, the other moved out by up to a
        // quarter ("1 July 2024 to 31 July 2025" for a window ending 30
        // June 2025). A range inside the window is a breakdown of it.
        let stretched = (self.from == from && self.to > to && self.to - to <= STRETCH)
            || (self.to == to && self.from < from && from - self.from <= STRETCH);
        shifted || stretched
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), or `None`
/// for a day the month does not have.
pub(crate) fn day_number(y: i32, m: u32, d: u32) -> Option<i32> {
    if !(1..=12).contains(&m) || d == 0 || d > month_length(y, m) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn month_length(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    let lower = w.to_ascii_lowercase();
    if lower == "sept" {
        return Some(9);
    }
    // Full names, or their first three letters ("may" is both).
    NAMES
        .iter()
        .position(|n| *n == lower || (lower.len() == 3 && n.starts_with(&lower)))
        .map(|i| i as u32 + 1)
}

fn day(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if digits.is_empty()
        || digits.len() > 2
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !(suffix.is_empty() || ["st", "nd", "rd", "th"].contains(&suffix))
    {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1900..=2200).contains(y))
}

/// `2025-11-03` (a timestamp's date part included).
fn iso(word: &str) -> Option<i32> {
    let b = word.as_bytes();
    if b.len() < 10 || (b.len() > 10 && b[10] != b'T') || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = year(&word[..4])?;
    let m: u32 = word[5..7].parse().ok()?;
    let d: u32 = word[8..10].parse().ok()?;
    day_number(y, m, d)
}

/// The day of an ISO date word (`2025-11-29`, `2025-11-29T06:00`).
pub(crate) fn iso_day(word: &str) -> Option<i32> {
    iso(word)
}

/// `3-30` as two days.
fn day_pair(word: &str) -> Option<(u32, u32)> {
    let (a, b) = word.split_once('-')?;
    Some((day(a)?, day(b)?))
}

/// Whether the text between two parts of a range joins them.
fn joins(gap: &str) -> bool {
    let g = gap.trim_matches([' ', ',', '\'', '"']);
    matches!(
        g.to_ascii_lowercase().as_str(),
        "-" | "–" | "—" | "to" | "through" | "thru" | "until" | "till" | "and"
            // German, French, Spanish, Italian and Dutch ("01.10.2025 bis
            // 31.10.2025", "du 1er au 31", "al", "a", "tot").
            | "bis" | "au" | "al" | "a" | "tot"
    )
}

/// Every date range in `text`. Prose dates without a year take `year`.
pub(crate) fn ranges<'t>(text: &'t str, year_default: i32) -> Vec<DateRange<'t>> {
    let ws: Vec<(usize, &str)> = words(text).collect();
    let end_of = |i: usize| ws[i].0 + ws[i].1.len();
    let gap = |i: usize, j: usize| &text[end_of(i)..ws[j].0];
    let year_at = |i: usize| -> Option<(i32, usize)> {
        let j = i + 1;
        (j < ws.len() && gap(i, j).trim_matches([' ', ',']).is_empty())
            .then(|| year(ws[j].1).map(|y| (y, j)))
            .flatten()
    };
    // The first word of the range's second part, when what follows word
    // `i` joins two parts: a dash, or "to", "through", "until", "and".
    let next_part = |i: usize| -> Option<usize> {
        if i + 1 >= ws.len() {
            return None;
        }
        if joins(gap(i, i + 1)) {
            return Some(i + 1);
        }
        let blank = |a: usize, b: usize| gap(a, b).trim_matches([' ', '\'', '"']).is_empty();
        (i + 2 < ws.len() && blank(i, i + 1) && blank(i + 1, i + 2) && joins(ws[i + 1].1))
            .then_some(i + 2)
    };
    let mut out = Vec::new();
    // A range of days `(month, day)` to `(month, day)` whose text runs from
    // word `first` to word `last`, and a year after `last` or the default
    // one. Pushes it when both days exist, in order; the scan resumes after
    // its text.
    let range = |out: &mut Vec<DateRange<'t>>,
                 first: usize,
                 (m1, a): (u32, u32),
                 (m2, b): (u32, u32),
                 last: usize| {
        let (y, last) = year_at(last).unwrap_or((year_default, last));
        if let (Some(from), Some(to)) = (day_number(y, m1, a), day_number(y, m2, b))
            && from <= to
        {
            out.push(DateRange {
                from,
                to,
                raw: &text[ws[first].0..end_of(last)],
                timed: false,
            });
        }
        last + 1
    };
    let mut i = 0;
    while i < ws.len() {
        let w = ws[i].1;
        // 2025-11-03 to 2025-11-30
        if let Some(from) = iso(w) {
            match next_part(i).and_then(|j| iso(ws[j].1).map(|to| (j, to))) {
                Some((j, to)) if from <= to => {
                    out.push(DateRange {
                        from,
                        to,
                        raw: &text[ws[i].0..end_of(j)],
                        timed: false,
                    });
                    i = j + 1;
                }
                _ => i += 1,
            }
            continue;
        }
        // 3-30 Nov [2025]
        if let Some((a, b)) = day_pair(w)
            && let Some(m) = ws.get(i + 1).and_then(|(_, n)| month(n))
        {
            i = range(&mut out, i, (m, a), (m, b), i + 1);
            continue;
        }
        // 1 July 2024 to 30 June 2025: a year on each side.
        if let Some(a) = day(w)
            && let Some(m1) = ws.get(i + 1).and_then(|(_, n)| month(n))
            && let Some((y1, yi)) = year_at(i + 1)
            && let Some(k) = next_part(yi)
            && let Some(b) = day(ws[k].1)
            && let Some(m2) = ws.get(k + 1).and_then(|(_, n)| month(n))
            && let Some((y2, last)) = year_at(k + 1)
        {
            if let (Some(from), Some(to)) = (day_number(y1, m1, a), day_number(y2, m2, b))
                && from <= to
            {
                out.push(DateRange {
                    from,
                    to,
                    raw: &text[ws[i].0..end_of(last)],
                    timed: false,
                });
            }
            i = last + 1;
            continue;
        }
        // 1 to 30 November [2025], 1 November to 30 November [2025]
        if let Some(a) = day(w) {
            let first_month = ws.get(i + 1).and_then(|(_, n)| month(n));
            let first_end = if first_month.is_some() { i + 1 } else { i };
            if let Some(k) = next_part(first_end)
                && let Some(b) = day(ws[k].1)
                && let Some(m2) = ws.get(k + 1).and_then(|(_, n)| month(n))
            {
                i = range(&mut out, i, (first_month.unwrap_or(m2), a), (m2, b), k + 1);
                continue;
            }
        }
        // November 3 to 30[, 2025], Nov 3-30, November 3 to December 2
        if let Some(m1) = month(w)
            && let Some(&(_, next)) = ws.get(i + 1)
        {
            if let Some((a, b)) = day_pair(next) {
                i = range(&mut out, i, (m1, a), (m1, b), i + 1);
                continue;
            }
            if let Some(a) = day(next)
                && let Some(k) = next_part(i + 1)
            {
                let (m2, bi) = match month(ws[k].1) {
                    Some(m2) => (m2, k + 1),
                    None => (m1, k),
                };
                if let Some(b) = ws.get(bi).and_then(|(_, n)| day(n)) {
                    i = range(&mut out, i, (m1, a), (m2, b), bi);
                    continue;
                }
            }
        }
        i += 1;
    }
    bounds(text, &ws, &mut out);
    iso_weeks(text, &ws, year_default, &mut out);
    dotted(text, &mut out);
    out
}

/// `20.08.2025 to 18.11.2025` (day first, as most of Europe writes dates).
fn dotted<'a>(text: &'a str, out: &mut Vec<DateRange<'a>>) {
    let b = text.as_bytes();
    // A date `D.M.YYYY` at `i`: its day number and its end.
    let date_at = |i: usize| -> Option<(i32, usize)> {
        if i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
            return None;
        }
        let d_len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let m_at = i + d_len + 1;
        if !(1..=2).contains(&d_len) || b.get(i + d_len) != Some(&b'.') {
            return None;
        }
        let m_len = b
            .get(m_at..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let y_at = m_at + m_len + 1;
        if !(1..=2).contains(&m_len) || b.get(m_at + m_len) != Some(&b'.') {
            return None;
        }
        let y = year(text.get(y_at..y_at + 4)?)?;
        if b.get(y_at + 4).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let d: u32 = text[i..i + d_len].parse().ok()?;
        let m: u32 = text[m_at..m_at + m_len].parse().ok()?;
        Some((day_number(y, m, d)?, y_at + 4))
    };
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'.', &b[i..]).map(|p| p + i) {
        i = p + 1;
        let start = p.saturating_sub(2);
        let start = (start..p).find(|&s| b[s].is_ascii_digit()).unwrap_or(p);
        let Some((from, end)) = date_at(start) else {
            continue;
        };
        let gap_len = b[end..]
            .iter()
            .take(12)
            .take_while(|c| !c.is_ascii_digit())
            .count();
        // Twelve bytes may end inside a character: such a gap joins nothing.
        if !text.get(end..end + gap_len).is_some_and(joins) {
            i = end;
            continue;
        }
        if let Some((to, end2)) = date_at(end + gap_len)
            && from <= to
        {
            out.push(DateRange {
                from,
                to,
                raw: &text[start..end2],
                timed: false,
            });
            i = end2;
        } else {
            i = end;
        }
    }
}

/// `EXTRACT(ISOWEEK FROM ts) BETWEEN 45 AND 48` (BigQuery, PostgreSQL's
/// `week`, ClickHouse's `toISOWeek`): Monday of the first week through
/// Sunday of the last, in the year an `ISOYEAR ... = 2025` names.
fn iso_weeks<'a>(
    text: &'a str,
    ws: &[(usize, &'a str)],
    year_default: i32,
    out: &mut Vec<DateRange<'a>>,
) {
    let is_week = |w: &str| {
        ["isoweek", "toisoweek", "iso_week", "week"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    };
    let year = ws
        .iter()
        .position(|(_, w)| w.eq_ignore_ascii_case("isoyear") || w.eq_ignore_ascii_case("toisoyear"))
        .and_then(|i| ws[i + 1..].iter().take(4).find_map(|(_, w)| year(w)))
        .unwrap_or(year_default);
    for i in 0..ws.len() {
        if !is_week(ws[i].1) {
            continue;
        }
        let Some(b) = ws[i + 1..]
            .iter()
            .take(4)
            .position(|(_, w)| w.eq_ignore_ascii_case("between"))
            .map(|p| i + 1 + p)
        else {
            continue;
        };
        let week = |j: usize| -> Option<i32> {
            ws.get(j)
                .and_then(|(_, w)| w.parse::<i32>().ok())
                .filter(|n| (1..=53).contains(n))
        };
        let and = ws
            .get(b + 2)
            .is_some_and(|(_, w)| w.eq_ignore_ascii_case("and"));
        if let (Some(first), true, Some(last)) = (week(b + 1), and, week(b + 3)) {
            let Some(jan4) = day_number(year, 1, 4) else {
                continue;
            };
            // 1970-01-01 was a Thursday: Monday is 0.
            let monday = jan4 - (jan4 + 3).rem_euclid(7);
            out.push(DateRange {
                from: monday + 7 * (first - 1),
                to: monday + 7 * (last - 1) + 6,
                raw: &text[ws[i].0..ws[b + 3].0 + ws[b + 3].1.len()],
                timed: false,
            });
        }
    }
}

/// Which side of a range a date literal bounds, from what precedes it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    From,
    After,
    Before,
    Until,
}

/// Ranges a statement or a set of arguments states bound by bound: `>=` /
/// `>` / `BETWEEN` and `<` / `<=` / `AND` in SQL, `start`/`from`/`since`
/// and `end`/`to`/`until` keys in arguments.
fn bounds<'a>(text: &'a str, ws: &[(usize, &'a str)], out: &mut Vec<DateRange<'a>>) {
    let mut open: Option<(i32, usize, bool)> = None; // (first day, word index, timed)
    for (i, (at, w)) in ws.iter().enumerate() {
        let Some(date) = iso(w) else { continue };
        let from = crate::text::floor_boundary(text, at.saturating_sub(40));
        let Some(bound) = bound_before(&text[from..*at]) else {
            continue;
        };
        match bound {
            Bound::From => open = Some((date, i, past_midnight(&text[*at..]))),
            // After 22:00 on the 24th is still the 24th.
            Bound::After if past_midnight(&text[*at..]) => open = Some((date, i, true)),
            Bound::After => open = Some((date + 1, i, false)),
            Bound::Before | Bound::Until => {
                // `< '2025-11-25T06:00'` still takes the early hours of the 25th.
                let last = if bound == Bound::Before && !past_midnight(&text[*at..]) {
                    date - 1
                } else {
                    date
                };
                if let Some((first, a, timed)) = open.take()
                    && first <= last
                    && *at - ws[a].0 <= 200
                    // `BETWEEN 'a' AND 'b'` was read as prose already.
                    && !out.iter().any(|r| r.from == first && r.to == last)
                {
                    out.push(DateRange {
                        from: first,
                        to: last,
                        raw: &text[ws[a].0..at + w.len()],
                        timed: timed || past_midnight(&text[*at..]),
                    });
                }
            }
        }
    }
}

/// Whether the timestamp starting `text` (`2025-11-25T06:00:00`,
/// `2025-11-25 06:00`) has a time of day after midnight.
fn past_midnight(text: &str) -> bool {
    let Some(rest) = text.get(10..) else {
        return false;
    };
    let Some(time) = rest.strip_prefix(['T', ' ']) else {
        return false;
    };
    let b = time.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..2) && b.get(2) == Some(&b':') && digits(3..5) && b[..5] != *b"00:00"
}

fn bound_before(pre: &str) -> Option<Bound> {
    let p = pre.trim_end_matches([' ', '\'', '"', '(']);
    let p = ["DATE", "date", "TIMESTAMP", "timestamp", "Date"]
        .iter()
        .find_map(|k| p.strip_suffix(k))
        .unwrap_or(p)
        .trim_end_matches([' ', '\'', '"', '(']);
    if p.ends_with(">=") {
        return Some(Bound::From);
    }
    if p.ends_with("<=") {
        return Some(Bound::Until);
    }
    if p.ends_with('>') {
        return Some(Bound::After);
    }
    if p.ends_with('<') {
        return Some(Bound::Before);
    }
    let last_word = words(p).last().map(|(_, w)| w.to_ascii_lowercase());
    match last_word.as_deref() {
        Some("between") => return Some(Bound::From),
        Some("and") if crate::text::contains_ci(p, "between") => return Some(Bound::Until),
        _ => {}
    }
    // An argument's key: `"start_date": "`, `"to": "`.
    if let Some(colon) = p.strip_suffix(':') {
        let key = colon.trim_end_matches(['"', '\'', ' ']);
        let key = &key[key.rfind(['"', '\'', '{', ',', ' ']).map_or(0, |i| i + 1)..];
        let parts: Vec<String> = key.split(['_', '-']).map(str::to_ascii_lowercase).collect();
        let has = |k: &[&str]| parts.iter().any(|p| k.contains(&p.as_str()));
        if has(&["start", "from", "since", "begin", "after", "gte"]) {
            return Some(Bound::From);
        }
        if has(&["end", "to", "until", "through", "lte", "finish"]) {
            return Some(Bound::Until);
        }
        if has(&["before", "lt"]) {
            return Some(Bound::Before);
        }
    }
    None
}

/// A span of the day, in minutes after midnight, both ends as written:
/// "06:00 to 14:00", "06:00-16:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeRange<'a> {
    pub from: u16,
    pub to: u16,
    /// The range as written.
    pub raw: &'a str,
}

/// `HH:MM` at the start of `b` (one-digit hours allowed), in minutes.
fn clock(b: &[u8]) -> Option<(u16, usize)> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&digits) || b.get(digits) != Some(&b':') {
        return None;
    }
    let m = b.get(digits + 1..digits + 3)?;
    if !m.iter().all(u8::is_ascii_digit) || b.get(digits + 3).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let h = u16::from(b[0] - b'0') * if digits == 2 { 10 } else { 1 }
        + if digits == 2 {
            u16::from(b[1] - b'0')
        } else {
            0
        };
    let min = u16::from(m[0] - b'0') * 10 + u16::from(m[1] - b'0');
    (h <= 24 && min < 60).then_some((h * 60 + min, digits + 3))
}

/// Every `HH:MM` to `HH:MM` range in `text` (joined by a dash, "to",
/// "until", "through"). Written by hand for the same reason as [`ranges`].
pub(crate) fn time_ranges(text: &str) -> Vec<TimeRange<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = memchr::memchr(b':', &b[i..]).map(|c| c + i) {
        i = c + 1;
        let start = c.saturating_sub(2);
        let start = if start < c && !b[start].is_ascii_digit() {
            start + 1
        } else {
            start
        };
        if start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b':') {
            continue;
        }
        let Some((from, len)) = clock(&b[start..]) else {
            continue;
        };
        let after = start + len;
        let gap_len = b[after..]
            .iter()
            .take(12)
            .take_while(|c| !c.is_ascii_digit())
            .count();
        let Some(gap) = text.get(after..after + gap_len) else {
            continue;
        };
        if !joins(gap) && !matches!(gap.trim(), "to" | "until" | "through") {
            continue;
        }
        let second = after + gap_len;
        let Some((to, len2)) = clock(&b[second..]) else {
            continue;
        };
        out.push(TimeRange {
            from,
            to,
            raw: &text[start..second + len2],
        });
        i = second + len2;
    }
    out
}

/// A timestamp a statement or arguments bound a range by (`"sched_finish":
/// "2025-11-29T16:00"`, `ts >= '2025-11-29 06:00'`): its day, its time of
/// day in minutes, whether it opens the range, and the text as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimedBound<'a> {
    pub day: i32,
    pub minutes: u16,
    pub opens: bool,
    pub raw: &'a str,
}

/// Every timestamp with a time of day that bounds a range in `text`.
pub(crate) fn timed_bounds(text: &str) -> Vec<TimedBound<'_>> {
    let mut out = Vec::new();
    for (at, w) in words(text) {
        let Some(day) = iso(w) else { continue };
        let rest = &text.as_bytes()[at + 10..];
        let Some((minutes, len)) = rest
            .first()
            .filter(|c| **c == b'T' || **c == b' ')
            .and_then(|_| clock(&rest[1..]))
        else {
            continue;
        };
        let from = crate::text::floor_boundary(text, at.saturating_sub(40));
        let Some(bound) = bound_before(&text[from..at]) else {
            continue;
        };
        out.push(TimedBound {
            day,
            minutes,
            opens: matches!(bound, Bound::From | Bound::After),
            raw: &text[at..at + 11 + len],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nov(d: u32) -> i32 {
        day_number(2025, 11, d).unwrap()
    }

    fn found(t: &str) -> Vec<(i32, i32)> {
        ranges(t, 2025).iter().map(|r| (r.from, r.to)).collect()
    }

    #[test]
    fn civil_days() {
        assert_eq!(day_number(1970, 1, 1), Some(0));
        assert_eq!(day_number(2025, 12, 1).unwrap() - nov(30), 1);
        assert_eq!(
            day_number(2024, 2, 29).unwrap() + 1,
            day_number(2024, 3, 1).unwrap()
        );
        assert_eq!(day_number(2025, 2, 29), None);
    }

    #[test]
    fn prose_ranges() {
        let w = (nov(1), nov(30));
        assert_eq!(found("reporting window = 1 to 30 November 2025"), [w]);
        assert_eq!(
            found("unsubs (ISO wk 45-48, 3-30 Nov)"),
            [(nov(3), nov(30))]
        );
        assert_eq!(found("from November 3 to 30, 2025"), [(nov(3), nov(30))]);
        assert_eq!(found("Nov 1-30"), [w]);
        assert_eq!(found("1 November to 30 November"), [w]);
        assert_eq!(found("2025-11-01 to 2025-11-30"), [w]);
        assert_eq!(
            found("from 31 October to 29 November 2025"),
            [(day_number(2025, 10, 31).unwrap(), nov(29))]
        );
        assert!(found("order 3-30 shipped; 45-48 cartons; 14:00 on 3 November").is_empty());
        // Other languages join a range with their own word.
        assert_eq!(
            found("Abrechnungszeitraum = 01.11.2025 bis 30.11.2025"),
            [w]
        );
        assert_eq!(found("période du 01.11.2025 au 30.11.2025"), [w]);
    }

    #[test]
    fn day_first_dotted_dates() {
        let r = found(
            "Lookback period = the 90 days before 18.11.2025, i.e. 20.08.2025 to 18.11.2025.",
        );
        assert_eq!(r, [(day_number(2025, 8, 20).unwrap(), nov(18))]);
        assert!(found("version 1.2.2025 of the file; 3.14").is_empty());
    }

    #[test]
    fn times_of_day() {
        let r = time_ranges("define downtime window = 2025-11-29 06:00 to 14:00");
        assert_eq!((r[0].from, r[0].to, r[0].raw), (360, 840, "06:00 to 14:00"));
        let r = time_ranges("treat Saturday's window as 06:00-16:00 for the die cushion");
        assert_eq!((r[0].from, r[0].to), (360, 960));
        assert!(time_ranges("alarm at 02:47, offset at 05:05").is_empty());
        assert!(time_ranges("ratio 3:1 and 12:30:45").is_empty());
        // Bytes of a character between two times, or two dates: no panic.
        assert!(time_ranges("06:00 ééééééé 14:00").is_empty());
        assert!(found("20.08.2025 ééééééé 18.11.2025").is_empty());
        let b =
            timed_bounds(r#"{"sched_start":"2025-11-29T06:00","sched_finish":"2025-11-29T16:00"}"#);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].opens && !b[1].opens);
        assert_eq!(
            (b[1].day, b[1].minutes),
            (day_number(2025, 11, 29).unwrap(), 960)
        );
        assert!(timed_bounds(r#"{"created":"2025-11-29T16:00"}"#).is_empty());
    }

    #[test]
    fn statement_and_argument_ranges() {
        assert_eq!(
            found("WHERE event_ts >= '2025-11-03' AND event_ts < '2025-12-01'"),
            [(nov(3), nov(30))]
        );
        assert_eq!(
            found("WHERE DATE(sent_at) BETWEEN '2025-11-01' AND '2025-11-30'"),
            [(nov(1), nov(30))]
        );
        assert_eq!(
            found("ts >= TIMESTAMP '2025-11-01 00:00:00' AND ts <= TIMESTAMP '2025-11-29'"),
            [(nov(1), nov(29))]
        );
        // A night shift: before 06:00 on the 25th still takes the 25th.
        assert_eq!(
            found("ts >= '2025-11-24T22:00:00' AND ts < '2025-11-25T06:00:00'"),
            [(nov(24), nov(25))]
        );
        assert_eq!(
            found("ts >= '2025-11-24 22:00' AND ts < '2025-11-25 00:00'"),
            [(nov(24), nov(24))]
        );
        assert_eq!(
            found(r#"{"start_date": "2025-11-03", "end_date": "2025-11-30", "limit": 50}"#),
            [(nov(3), nov(30))]
        );
        assert!(found(r#"{"created": "2025-11-03", "updated": "2025-11-30"}"#).is_empty());
        // ISO weeks 45 to 48 of 2025: Monday 3 November to Sunday 30 November.
        assert_eq!(
            found(
                "WHERE EXTRACT(ISOYEAR FROM ts) = 2025 AND EXTRACT(ISOWEEK FROM ts) BETWEEN 45 AND 48"
            ),
            [(nov(3), nov(30))]
        );
    }

    #[test]
    fn ranges_across_years() {
        let r = ranges(
            "define reporting period = 1 July 2024 to 30 June 2025, by paid date",
            2025,
        );
        assert_eq!(
            r.iter().map(|r| (r.from, r.to)).collect::<Vec<_>>(),
            [(
                day_number(2024, 7, 1).unwrap(),
                day_number(2025, 6, 30).unwrap()
            )]
        );
    }

    #[test]
    fn a_shift_is_not_a_breakdown_or_another_period() {
        let r = |from, to| DateRange {
            from,
            to,
            raw: "",
            timed: false,
        };
        let (a, b) = (nov(1), nov(30));
        assert!(r(nov(3), nov(30)).shifts(a, b));
        assert!(r(nov(1), nov(30) + 1).shifts(a, b));
        assert!(!r(nov(1), nov(30)).shifts(a, b));
        // The same period with its end day left out (an exclusive end).
        assert!(!r(nov(1), nov(29)).shifts(a, b));
        assert!(r(nov(1), nov(28)).shifts(a, b));
        assert!(
            !r(nov(1), nov(7)).shifts(a, b),
            "the first week is a breakdown"
        );
        assert!(!r(a - 31, a - 1).shifts(a, b), "October is another period");
        assert!(
            r(a, b + 31).shifts(a, b),
            "stretched to the end of December"
        );
        assert!(r(a - 30, b).shifts(a, b), "stretched back into October");
        // A lookback pulled short at its start departs; a period's first
        // week is a breakdown of it.
        assert!(r(nov(1) + 61, nov(30)).departs(a, b, true));
        assert!(!r(nov(1) + 61, nov(30)).departs(a, b, false));
        assert!(!r(nov(1), nov(7)).departs(a, b, true));
        // A day shift next to a night-shift window is another period.
        let day_shift = ranges(
            "ts >= '2025-11-24T14:00:00' AND ts < '2025-11-24T22:00:00'",
            2025,
        );
        assert!(!day_shift[0].shifts(nov(24), nov(25)), "{day_shift:?}");
        assert!(!r(a, b + 200).shifts(a, b), "another period altogether");
    }
}
