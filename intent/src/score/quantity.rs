//! Durations in prose and SQL: "90 days", "3 months", `INTERVAL '30' DAY`,
//! `INTERVAL 30 DAY`, `now() - 30`, `toIntervalDay(30)`, `subtractDays(now(), 30)`,
//! `DATEDIFF(day, a, b) > 30`, `date_diff('day', a, b) >= 30`.
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

/// `word` lowercased into `buf` when it is short enough to be a unit or a
/// number word; the lookups below then compare bytes once instead of every
/// entry of a list case-insensitively (they run on every word of long prose).
fn lower_short<'b>(word: &str, buf: &'b mut [u8; 10]) -> Option<&'b [u8]> {
    let b = word.as_bytes();
    if b.is_empty() || b.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    Some(&buf[..b.len()])
}

/// Days per unit: `d`/`day(s)`/`dd`, weeks, months (30 days), years (365),
/// hours (1/24).
fn unit_days(word: &str) -> Option<f64> {
    let mut buf = [0u8; 10];
    Some(match lower_short(word, &mut buf)? {
        b"d" | b"day" | b"days" | b"dd" => 1.0,
        b"w" | b"wk" | b"wks" | b"week" | b"weeks" => 7.0,
        b"m" | b"mo" | b"mon" | b"mons" | b"month" | b"months" | b"mm" => 30.0,
        b"y" | b"yr" | b"yrs" | b"year" | b"years" | b"yy" | b"yyyy" => 365.0,
        b"h" | b"hr" | b"hrs" | b"hour" | b"hours" => 1.0 / 24.0,
        _ => return None,
    })
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
        .any(|p| crate::text::starts_with_ci(name, p)))
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
    // The last `(` passed: a unit in a function name needs one within its
    // window, and looking back from every bare number costs more than this.
    let mut last_open: Option<usize> = None;
    std::iter::from_fn(move || {
        while i < b.len() {
            // A number written as a word: "three months", "thirty days".
            if b[i].is_ascii_alphabetic() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let we = word_end(b, i);
                if let Some(n) = number_word(&text[i..we]) {
                    let mut j = we;
                    while j < b.len() && matches!(b[j], b' ' | b'-') {
                        j += 1;
                    }
                    let j = past_day_qualifiers(text, j);
                    let ue = word_end(b, j);
                    if ue > j
                        && let Some(u) = unit_days(&text[j..ue])
                    {
                        let d = Duration {
                            days: n * u,
                            at: i,
                            raw: &text[i..ue],
                        };
                        i = ue;
                        return Some(d);
                    }
                }
                i = we.max(i + 1);
                continue;
            }
            if !b[i].is_ascii_digit()
                || (i > 0
                    && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.'))
            {
                if b[i] == b'(' {
                    last_open = Some(i);
                }
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
            // Digits with at most one inner dot always parse; most numbers
            // carry no unit, so they are parsed only once one is found.
            let number = &text[start..i];
            if number.bytes().filter(|c| *c == b'.').count() > 1 {
                continue;
            }
            let n = || number.parse::<f64>().unwrap_or(0.0);
            // Unit glued to the number ("90d", "30days").
            let glued_end = word_end(b, i);
            if glued_end > i {
                if let Some(u) = unit_days(&text[i..glued_end]) {
                    let d = Duration {
                        days: n() * u,
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
            let j = past_day_qualifiers(text, j);
            let we = word_end(b, j);
            if we > j
                && let Some(u) = unit_days(&text[j..we])
            {
                let d = Duration {
                    days: n() * u,
                    at: start,
                    raw: &text[start..we],
                };
                i = we;
                return Some(d);
            }
            // Unit in the enclosing function name or before: toIntervalDay(30), subtractDays(now(), 30).
            let opened_nearby = last_open.is_some_and(|o| {
                o >= crate::text::floor_boundary(text, start.saturating_sub(UNIT_WINDOW))
            });
            if opened_nearby && let Some(u) = unit_before(text, start) {
                return Some(Duration {
                    days: n() * u,
                    at: start,
                    raw: &text[start..i],
                });
            }
            // Both readings below need an operator right before the number;
            // most numbers have none, and looking costs one byte.
            let before = b[..start]
                .iter()
                .rposition(|c| !c.is_ascii_whitespace())
                .map(|p| b[p]);
            let maybe_operator = before.is_some_and(|c| !c.is_ascii_alphanumeric());
            if !maybe_operator {
                continue;
            }
            // A number compared with a difference of dates in a unit:
            // `DATEDIFF(day, delivered_at, requested_at) > 30`.
            if let Some(u) = compared_with_date_difference(text, start) {
                return Some(Duration {
                    days: n() * u,
                    at: start,
                    raw: &text[start..i],
                });
            }
            // A bare number subtracted from the current date: `now() - 30` (days, as
            // in PostgreSQL `current_date - 30` and most SQL engines' date arithmetic).
            if subtracted_from_now(text, start) {
                return Some(Duration {
                    days: n(),
                    at: start,
                    raw: &text[start..i],
                });
            }
        }
        None
    })
}

/// Past the words that say which days count ("30 *calendar* days", "two
/// *full working* days", "10 *business* days"), at most two, when a unit
/// follows them; else `j` itself.
fn past_day_qualifiers(text: &str, j: usize) -> usize {
    const QUALIFIERS: &[&str] = &[
        "full",
        "working",
        "business",
        "calendar",
        "clear",
        "consecutive",
        "banking",
        "school",
        "trading",
        "whole",
        "complete",
    ];
    let b = text.as_bytes();
    let mut k = j;
    for _ in 0..2 {
        let we = word_end(b, k);
        if we == k
            || !QUALIFIERS
                .iter()
                .any(|q| text[k..we].eq_ignore_ascii_case(q))
        {
            break;
        }
        let mut n = we;
        while n < b.len() && b[n] == b' ' {
            n += 1;
        }
        k = n;
    }
    if k > j && unit_days(&text[k..word_end(b, k)]).is_some() {
        k
    } else {
        j
    }
}

/// The value of a number word ("three", "thirty", "ninety").
pub(crate) fn number_word(w: &str) -> Option<f64> {
    // Most words are no number: skip them on length and first letter.
    if !(3..=10).contains(&w.len())
        || !matches!(
            w.as_bytes()[0].to_ascii_lowercase(),
            b'o' | b't' | b'f' | b's' | b'e' | b'n'
        )
    {
        return None;
    }
    let mut buf = [0u8; 10];
    Some(match lower_short(w, &mut buf)? {
        b"one" => 1.0,
        b"two" => 2.0,
        b"three" => 3.0,
        b"four" => 4.0,
        b"five" => 5.0,
        b"six" => 6.0,
        b"seven" => 7.0,
        b"eight" => 8.0,
        b"nine" => 9.0,
        b"ten" => 10.0,
        b"eleven" => 11.0,
        b"twelve" => 12.0,
        b"fourteen" => 14.0,
        b"fifteen" => 15.0,
        b"eighteen" => 18.0,
        b"twenty" => 20.0,
        b"thirty" => 30.0,
        b"forty" => 40.0,
        b"forty-five" => 45.0,
        b"fifty" => 50.0,
        b"sixty" => 60.0,
        b"ninety" => 90.0,
        _ => return None,
    })
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// How far back [`unit_before`] looks for the function carrying a unit.
const UNIT_WINDOW: usize = 40;

/// Looks back up to 40 bytes for a function name that carries the unit.
fn unit_before(text: &str, at: usize) -> Option<f64> {
    let from = crate::text::floor_boundary(text, at.saturating_sub(UNIT_WINDOW));
    let window = &text[from..at];
    let open = window.rfind('(')?;
    let name_end = open;
    let name_start = crate::text::trailing_ident_start(&window[..name_end], false);
    let name = &window[name_start..name_end];
    // DATEADD(day, -90, d) (SQL Server, Snowflake), TIMESTAMPADD(DAY, -90,
    // d) (MySQL): the unit is the first argument.
    if ["dateadd", "timestampadd"]
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f))
    {
        // Only the second argument counts: `DATEADD(day, -90, '2025-11-20')`
        // adds 90 days; the date's digits are no duration.
        let (unit, amount) = window[open + 1..].split_once(',')?;
        if !amount
            .trim()
            .trim_start_matches(['-', '+'])
            .trim()
            .is_empty()
        {
            return None;
        }
        return unit_days(unit.trim().trim_matches(['\'', '"']));
    }
    function_unit_days(name).or_else(|| {
        // subtractDays(now(), 30): the name is before an inner call.
        let outer = window[..name_start].trim_end_matches(['(', ' ']);
        let s = crate::text::trailing_ident_start(outer, false);
        function_unit_days(&outer[s..])
    })
}

/// The unit of a date difference the number at `at` is compared with:
/// `DATEDIFF(day, a, b) > 30` (SQL Server, Snowflake), `date_diff('day', a,
/// b) >= 30` (Trino, BigQuery puts the unit last), `dateDiff('day', a, b)`
/// (ClickHouse), `TIMESTAMPDIFF(DAY, a, b)` (MySQL).
fn compared_with_date_difference(text: &str, at: usize) -> Option<f64> {
    let before = text[..at].trim_end();
    let before = [">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| before.strip_suffix(op))?
        .trim_end();
    let inner_end = before.len().checked_sub(1)?;
    if !before.ends_with(')') {
        return None;
    }
    // Walk back to the call's opening parenthesis.
    let b = before.as_bytes();
    let mut depth = 0usize;
    let mut open = None;
    for i in (0..=inner_end).rev() {
        match b[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let name_start = crate::text::trailing_ident_start(&before[..open], false);
    let name = &before[name_start..open];
    let args = &before[open + 1..inner_end];
    let unit_of = |arg: &str| unit_days(arg.trim().trim_matches(['\'', '"']));
    if ["datediff", "date_diff", "timestampdiff", "datediff_big"]
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f))
    {
        let first = args.split(',').next().unwrap_or("");
        let last = args.rsplit(',').next().unwrap_or("");
        return unit_of(first).or_else(|| unit_of(last));
    }
    None
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

/// An amount of money. The currency is an ISO code when the text gives one
/// (symbols are mapped: `$` USD, `€` EUR, `£` GBP).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Money {
    /// The amount.
    pub amount: f64,
    /// `USD`, `EUR`...; `None` when only a bare amount is known.
    pub currency: Option<[u8; 3]>,
}

impl Money {
    /// Whether two amounts can be compared: same currency, or one unknown.
    pub(crate) fn comparable(&self, other: &Money) -> bool {
        match (self.currency, other.currency) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// Whether the amounts differ by more than rounding.
    pub(crate) fn differs_from(&self, other: &Money) -> bool {
        (self.amount - other.amount).abs() > other.amount.abs().max(1.0) * 0.005
    }

    /// The currency code as text.
    pub(crate) fn currency_str(&self) -> &str {
        self.currency
            .as_ref()
            .and_then(|c| std::str::from_utf8(c).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Display for Money {
    /// `258.00 EUR`, `12 USD`, `40.5` (no currency known).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.amount.fract() == 0.0 {
            write!(f, "{}", self.amount)?;
        } else {
            write!(f, "{:.2}", self.amount)?;
        }
        match self.currency_str() {
            "" => Ok(()),
            c => write!(f, " {c}"),
        }
    }
}

const CURRENCY_CODES: &[&str] = &[
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "INR", "SEK", "NOK", "DKK", "PLN",
    "CZK", "HUF", "BRL", "MXN", "SGD", "HKD", "CNY", "ZAR", "AED",
];

fn currency_word(w: &str) -> Option<[u8; 3]> {
    let code = |c: &str| -> Option<[u8; 3]> { c.as_bytes().try_into().ok() };
    if let Some(c) = CURRENCY_CODES.iter().find(|c| w.eq_ignore_ascii_case(c)) {
        return code(c);
    }
    let lower = w.to_ascii_lowercase();
    match lower.as_str() {
        "dollar" | "dollars" | "usd$" => code("USD"),
        "euro" | "euros" => code("EUR"),
        "pound" | "pounds" | "quid" => code("GBP"),
        "yen" => code("JPY"),
        "francs" | "franc" => code("CHF"),
        "rupees" | "rupee" => code("INR"),
        _ => None,
    }
}

fn currency_symbol(text: &str, at: usize) -> Option<[u8; 3]> {
    let code = |c: &str| -> Option<[u8; 3]> { c.as_bytes().try_into().ok() };
    let before = text[..at].trim_end();
    if before.ends_with('$') {
        code("USD")
    } else if before.ends_with('€') {
        code("EUR")
    } else if before.ends_with('£') {
        code("GBP")
    } else if before.ends_with('¥') {
        code("JPY")
    } else if before.ends_with('₹') {
        code("INR")
    } else {
        None
    }
}

/// Amounts of money in a text: `$1,200.50`, `1 200 EUR`, `EUR 50`, `€50`,
/// `50 euros`. Numbers without a currency are not money.
pub(crate) fn money(text: &str) -> impl Iterator<Item = (Money, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            // Digits after `CM-` are an identifier's (`CM-10452`), not an amount.
            let in_ident = i > 1 && b[i - 1] == b'-' && b[i - 2].is_ascii_alphanumeric();
            if !b[i].is_ascii_digit()
                || in_ident
                || (i > 0
                    && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'_'))
            {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || ((b[i] == b'.' || b[i] == b',')
                        && i + 1 < b.len()
                        && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            let raw = &text[start..i];
            let digits: String = raw.chars().filter(|c| *c != ',').collect();
            let Ok(amount) = digits.parse::<f64>() else {
                continue;
            };
            // Currency before: a symbol, or a code as the previous word.
            let mut currency = currency_symbol(text, start);
            if currency.is_none() {
                let before = text[..start].trim_end();
                let w_start = crate::text::trailing_ident_start(before, true);
                let w = &before[w_start..];
                if w.len() == 3 {
                    currency = CURRENCY_CODES
                        .iter()
                        .find(|c| w.eq_ignore_ascii_case(c))
                        .and_then(|c| c.as_bytes().try_into().ok());
                }
            }
            // Or after: a symbol or a word.
            if currency.is_none() {
                let after = &text[i..];
                let trimmed = after.trim_start();
                // A symbol that opens the next amount ("10452 $1,875.00")
                // is that amount's.
                let opens_next =
                    |sym: &str| trimmed[sym.len()..].starts_with(|c: char| c.is_ascii_digit());
                if trimmed.starts_with('€') && !opens_next("€") {
                    currency = Some(*b"EUR");
                } else if trimmed.starts_with('$') && !opens_next("$") {
                    currency = Some(*b"USD");
                } else {
                    let w_end = trimmed
                        .find(|c: char| !c.is_ascii_alphabetic())
                        .unwrap_or(trimmed.len());
                    currency = currency_word(&trimmed[..w_end]);
                }
            }
            if let Some(c) = currency {
                return Some((
                    Money {
                        amount,
                        currency: Some(c),
                    },
                    raw,
                ));
            }
        }
        None
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
        // Words that say which days count sit between number and unit.
        assert_eq!(
            days("after the first two full working days; 30 calendar days; 10 business days"),
            [2.0, 30.0, 10.0]
        );
        assert!(days("two full refunds; 3 working groups").is_empty());
        assert_eq!(days("WHERE last_login < now() - INTERVAL 30 DAY"), [30.0]);
        assert_eq!(days("last_login < NOW() - INTERVAL '30' DAY"), [30.0]);
        assert_eq!(
            days("last_login < current_date - interval '45 days'"),
            [45.0]
        );
        assert_eq!(days("last_login < now() - 30"), [30.0]);
        assert_eq!(days("last_login < toIntervalDay(60)"), [60.0]);
        assert_eq!(days("last_login < subtractDays(now(), 14)"), [14.0]);
        assert_eq!(
            days("MAX(u.build_date) < DATEADD(day, -90, '2025-11-20'::date)"),
            [90.0]
        );
        assert_eq!(days("TIMESTAMPADD(MONTH, -6, CURRENT_DATE)").len(), 1);
        assert_eq!(days("a 30-day window, 90d"), [30.0, 90.0]);
        assert_eq!(
            days("WHERE DATEDIFF(day, o.delivered_at, r.requested_at) > 30"),
            [30.0]
        );
        assert_eq!(
            days("date_diff('week', created_at, current_date) >= 2"),
            [14.0]
        );
        assert_eq!(
            days("DATE_DIFF(CURRENT_DATE(), DATE(paid_at), DAY) < 45"),
            [45.0]
        );
        assert!(days("LENGTH(name) > 30 AND COUNT(id) > 2").is_empty());
        assert_eq!(
            days("the probation period is three months; two weeks' notice"),
            [90.0, 14.0]
        );
    }

    #[test]
    fn an_identifier_or_the_next_amount_is_no_money() {
        let m: Vec<f64> = money("NetSuite: CM-10452 $1,875.00 in Nov; ref 10452 $75.00 each")
            .map(|(m, _)| m.amount)
            .collect();
        assert_eq!(m, [1875.0, 75.0]);
        assert_eq!(
            money("30 $ per seat")
                .map(|(m, _)| m.amount)
                .collect::<Vec<_>>(),
            [30.0]
        );
    }

    #[test]
    fn money_forms() {
        let m: Vec<(f64, String)> = money("refund $1,200.50 or EUR 50, 30 € and 12 GBP; 7 items")
            .map(|(m, _)| (m.amount, m.currency_str().to_owned()))
            .collect();
        assert_eq!(
            m,
            [
                (1200.5, "USD".to_owned()),
                (50.0, "EUR".to_owned()),
                (30.0, "EUR".to_owned()),
                (12.0, "GBP".to_owned())
            ]
        );
    }

    #[test]
    fn units_and_number_words_in_any_case() {
        assert_eq!(
            days("Thirty DAYS, 2 Weeks, 1 YR, 6 Hrs"),
            [30.0, 14.0, 365.0, 0.25]
        );
        assert_eq!(days("ninety-day window"), [90.0]);
        // The function carrying the unit must open within 40 bytes of the number.
        assert_eq!(days("toIntervalDay(  30)"), [30.0]);
        assert!(days("toIntervalDay(x) and then, much later in the text, 30").is_empty());
    }

    #[test]
    fn plain_numbers_are_not_durations() {
        assert!(days("LIMIT 100; id = 42; plan_v2 2024-01-01").is_empty());
        assert!(!durations("3 months").next().unwrap().differs_from(90.0));
        assert!(durations("30 days").next().unwrap().differs_from(90.0));
    }
}
