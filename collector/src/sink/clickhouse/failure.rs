//! Which failed inserts can heal by waiting, and which never will.
//!
//! Retrying a batch that ClickHouse refuses because of its data blocks every
//! later batch for good (the "poison batch"); giving up on a batch because
//! the network hiccuped loses data. So every failure is classified:
//!
//! - **transient**: the network, timeouts, server errors, a table that is not
//!   there yet (the startup migration is running), `TOO_MANY_PARTS` because
//!   merges lag behind: retried with back-off until they succeed;
//! - **rows**: the data itself is refused (does not parse, out of range, a
//!   constraint, more partitions than one insert may touch): the batch is
//!   split to find the rows at fault, which go to the dead-letter file;
//! - **schema**: the rows do not fit the table at all (a column missing, the
//!   client's type check): every row would fail alike, so the batch goes to
//!   the dead-letter file whole, without splitting it row by row.

/// How an insert failure is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Try the same insert again later.
    Transient,
    /// Some rows are refused: split the batch to isolate them.
    Rows,
    /// No row can go in as the table is: dead-letter the batch whole.
    Schema,
}

/// ClickHouse error codes that depend on the rows sent (`src/Common/ErrorCodes.cpp`).
const ROW_CODES: &[u32] = &[
    6,   // CANNOT_PARSE_TEXT
    26,  // CANNOT_PARSE_QUOTED_STRING
    27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    32,  // ATTEMPT_TO_READ_AFTER_EOF
    33,  // CANNOT_READ_ALL_DATA
    38,  // CANNOT_PARSE_DATE
    41,  // CANNOT_PARSE_DATETIME
    53,  // TYPE_MISMATCH
    69,  // ARGUMENT_OUT_OF_BOUND
    70,  // CANNOT_CONVERT_TYPE
    72,  // CANNOT_PARSE_NUMBER
    117, // INCORRECT_DATA
    131, // TOO_LARGE_STRING_SIZE
    321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
    407, // DECIMAL_OVERFLOW
    469, // VIOLATED_CONSTRAINT
];

/// Codes meaning the table does not take these columns at all.
const SCHEMA_CODES: &[u32] = &[
    16, // NO_SUCH_COLUMN_IN_TABLE
    47, // UNKNOWN_IDENTIFIER
];

/// `TOO_MANY_PARTS`: either too many partitions in one insert (the rows'
/// fault) or too many active parts (merges lagging: wait).
const TOO_MANY_PARTS: u32 = 252;

/// Classifies a client error.
pub fn classify(error: &clickhouse::error::Error) -> Failure {
    use clickhouse::error::Error as E;
    match error {
        E::BadResponse(text) => classify_response(text),
        // Raised by the client before anything is sent: the row type does
        // not match the table, or a value cannot be serialized.
        E::SchemaMismatch(_) | E::SequenceMustHaveLength => Failure::Schema,
        E::DataFormat(_) | E::Custom(_) | E::InvalidUtf8Encoding(_) => Failure::Rows,
        _ => Failure::Transient,
    }
}

/// Classifies ClickHouse's `Code: N. DB::Exception: ...` answer.
pub fn classify_response(text: &str) -> Failure {
    let Some(code) = error_code(text) else {
        return Failure::Transient;
    };
    if code == TOO_MANY_PARTS {
        return if text.contains("partitions") {
            Failure::Rows
        } else {
            Failure::Transient
        };
    }
    if ROW_CODES.contains(&code) {
        Failure::Rows
    } else if SCHEMA_CODES.contains(&code) {
        Failure::Schema
    } else {
        Failure::Transient
    }
}

/// The `N` of the first `Code: N.` in an answer.
pub fn error_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + "Code: ".len()..];
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide() {
        assert_eq!(
            error_code("bad response: Code: 252. DB::Exception: x"),
            Some(252)
        );
        assert_eq!(error_code("Code: x"), None);
        assert_eq!(
            classify_response(
                "Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100)"
            ),
            Failure::Rows
        );
        assert_eq!(
            classify_response(
                "Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts"
            ),
            Failure::Transient
        );
        assert_eq!(
            classify_response("Code: 469. DB::Exception: Constraint `c` is violated"),
            Failure::Rows
        );
        assert_eq!(
            classify_response("Code: 16. DB::Exception: No such column Foo in table"),
            Failure::Schema
        );
        assert_eq!(
            classify_response("Code: 60. DB::Exception: Table db.spans does not exist"),
            Failure::Transient
        );
        assert_eq!(classify_response("502 Bad Gateway"), Failure::Transient);
        assert_eq!(
            classify(&clickhouse::error::Error::TimedOut),
            Failure::Transient
        );
    }
}
