use super::*;

fn parse(line: &str) -> Result<Option<Guard>, GuardError> {
    Guard::parse_line(line)
}

fn globs(guard: &Guard) -> Vec<&str> {
    match guard {
        Guard::DenyTool(g) | Guard::AllowTool(g) => g.iter().map(ToolGlob::as_str).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn fixed_rules_parse_case_insensitively_with_any_spacing() {
    assert_eq!(parse("deny sql write"), Ok(Some(Guard::DenySqlWrite)));
    assert_eq!(
        parse("  DENY\tSql   WRITE \t"),
        Ok(Some(Guard::DenySqlWrite))
    );
    assert_eq!(parse("deny http write"), Ok(Some(Guard::DenyHttpWrite)));
    assert_eq!(parse("Deny Message Send"), Ok(Some(Guard::DenyMessageSend)));
}

#[test]
fn sql_statements_are_denied_by_verb() {
    assert_eq!(
        parse("deny sql UPDATE Delete"),
        Ok(Some(Guard::DenySqlVerbs(vec![
            "update".into(),
            "delete".into()
        ])))
    );
    // Alternatives written the way people list them.
    let four = Ok(Some(Guard::DenySqlVerbs(vec![
        "delete".into(),
        "update".into(),
        "insert".into(),
        "drop".into(),
    ])));
    assert_eq!(parse("deny sql delete|update|insert|drop"), four);
    assert_eq!(parse("deny sql delete, update / insert,drop"), four);
    // A word that is no write verb is still an error, named.
    assert!(parse("deny sql update select").is_err());
    assert!(parse("deny sql update|select").is_err());
    assert!(parse("deny sql |").is_err());
    let set = GuardSet::parse(&["deny sql update"]).unwrap();
    assert!(set.denies_sql_verb("update").is_some());
    assert!(set.denies_sql_verb("INSERT").is_none());
    assert!(!set.denies_sql_write());
}

#[test]
fn sends_are_denied_by_recipient() {
    let globs = |g: Guard| match g {
        Guard::DenySendTo(globs) => globs
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        globs(
            parse("deny send to #ext-* *@partner.example")
                .unwrap()
                .unwrap()
        ),
        ["#ext-*", "*@partner.example"]
    );
    assert_eq!(
        globs(parse("DENY MESSAGE SEND TO #ext-*").unwrap().unwrap()),
        ["#ext-*"]
    );
    assert_eq!(parse("deny message send"), Ok(Some(Guard::DenyMessageSend)));
    // Named by who must not be reached: the same rule.
    assert_eq!(
        globs(
            parse("deny recipient *@supplier.example uid:4410982")
                .unwrap()
                .unwrap()
        ),
        ["*@supplier.example", "uid:4410982"]
    );
    assert_eq!(
        globs(parse("Deny Recipients ops@x.example").unwrap().unwrap()),
        ["ops@x.example"]
    );
    let err = parse("deny recipient").unwrap_err().to_string();
    assert_eq!(
        err,
        "after `deny recipient` expected at least one recipient glob, found end of line"
    );
    let err = parse("deny send to").unwrap_err().to_string();
    assert_eq!(
        err,
        "after `deny send to` expected at least one recipient glob, found end of line"
    );
    let err = parse("deny send mail").unwrap_err().to_string();
    assert_eq!(
        err,
        "after `deny send` expected `to <glob>...`, found `mail`"
    );
    let set = GuardSet::parse(&["deny send to #ext-*"]).unwrap();
    assert!(!set.denies_message_send());
    assert_eq!(set.guards()[0].rule_id(), "message.send");
}

#[test]
fn tool_rules_keep_every_glob() {
    let deny = parse("deny tool send_* delete_?").unwrap().unwrap();
    assert_eq!(deny.rule_id(), "tool.deny");
    assert_eq!(globs(&deny), ["send_*", "delete_?"]);
    let allow = parse("ALLOW TOOL  sql_query\tsearch ").unwrap().unwrap();
    assert_eq!(allow.rule_id(), "tool.allow");
    assert_eq!(globs(&allow), ["sql_query", "search"]);
}

#[test]
fn define_splits_at_the_first_equals_and_lowercases_the_term() {
    let Some(Guard::Define(d)) = parse("define Inactive = last_login > 90 days").unwrap() else {
        panic!("not a define");
    };
    assert_eq!(d.term(), "inactive");
    assert_eq!(d.text(), "last_login > 90 days");
    assert_eq!(d.rule_id(), "define.inactive");

    let Some(Guard::Define(d)) = parse("define x=a = b # not a comment").unwrap() else {
        panic!("not a define");
    };
    assert_eq!((d.term(), d.text()), ("x", "a = b # not a comment"));
}

#[test]
fn blank_lines_and_comments_are_skipped() {
    assert_eq!(parse(""), Ok(None));
    assert_eq!(parse(" \t "), Ok(None));
    assert_eq!(parse("# read only"), Ok(None));
    assert_eq!(parse("   #deny sql write"), Ok(None));
}

#[test]
fn unknown_keyword_is_an_error() {
    let err = parse("forbid sql write").unwrap_err();
    assert_eq!(
        err,
        GuardError::UnknownKeyword {
            found: "forbid".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown guard `forbid`: expected `deny`, `allow` or `define`"
    );
    // Only space and tab separate words.
    assert!(matches!(
        parse("deny\u{a0}sql write"),
        Err(GuardError::UnknownKeyword { .. })
    ));
}

#[test]
fn each_wrong_word_says_what_was_expected() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "deny",
            "deny",
            "`tool <glob>...`, `sql write`, `sql <verb>...`, `http write`, `message send`, `send to <glob>...` or `recipient <glob>...`",
            None,
        ),
        (
            "deny files",
            "deny",
            "`tool <glob>...`, `sql write`, `sql <verb>...`, `http write`, `message send`, `send to <glob>...` or `recipient <glob>...`",
            Some("files"),
        ),
        (
            "deny sql",
            "deny sql",
            "`write` or SQL write verbs (`insert`, `update`, `delete`, ...)",
            None,
        ),
        (
            "deny sql read",
            "deny sql",
            "`write` or SQL write verbs (`insert`, `update`, `delete`, ...)",
            Some("read"),
        ),
        ("deny http get", "deny http", "`write`", Some("get")),
        (
            "deny message write",
            "deny message",
            "`send`",
            Some("write"),
        ),
        (
            "deny sql write now",
            "deny sql write",
            "end of line",
            Some("now"),
        ),
        (
            "deny http write x",
            "deny http write",
            "end of line",
            Some("x"),
        ),
        (
            "deny message send x",
            "deny message send",
            "end of line",
            Some("x"),
        ),
        (
            "deny tool",
            "deny tool",
            "at least one tool-name glob",
            None,
        ),
        (
            "allow tool  ",
            "allow tool",
            "at least one tool-name glob",
            None,
        ),
        ("allow", "allow", "`tool <glob>...`", None),
        ("allow sql", "allow", "`tool <glob>...`", Some("sql")),
        ("define", "define", "a term", None),
        ("define = x", "define", "a term", Some("=")),
        (
            "define inactive",
            "define <term>",
            "`=` followed by the definition",
            None,
        ),
        (
            "define inactive 90 days",
            "define <term>",
            "`=` followed by the definition",
            Some("90"),
        ),
    ];
    for (line, after, expected, found) in cases {
        assert_eq!(
            parse(line),
            Err(GuardError::Expected {
                after,
                expected,
                found: found.map(str::to_owned),
            }),
            "line {line:?}"
        );
    }
    assert_eq!(
        parse("deny sql").unwrap_err().to_string(),
        "after `deny sql` expected `write` or SQL write verbs (`insert`, `update`, `delete`, ...), found end of line"
    );
}

#[test]
fn bad_terms_and_empty_definitions_are_errors() {
    assert_eq!(
        parse("define active 9customer = x"),
        Err(GuardError::InvalidTerm {
            term: "active 9customer".into()
        })
    );
    assert_eq!(
        parse("define 90d = x"),
        Err(GuardError::InvalidTerm { term: "90d".into() })
    );
    assert_eq!(
        parse("define inactive =  \t"),
        Err(GuardError::EmptyDefinition {
            term: "inactive".into()
        })
    );
    assert!(parse("define _last-login_2 = x").is_ok());
}

#[test]
fn long_lines_and_control_characters_are_rejected() {
    let long = format!("define x = {}", "y".repeat(MAX_GUARD_LINE_CHARS));
    assert_eq!(
        parse(&long),
        Err(GuardError::TooLong {
            chars: long.chars().count(),
            max: MAX_GUARD_LINE_CHARS
        })
    );
    // The limit counts characters, not bytes.
    let wide = format!("define x = {}", "é".repeat(MAX_GUARD_LINE_CHARS - 11));
    assert_eq!(wide.chars().count(), MAX_GUARD_LINE_CHARS);
    assert!(parse(&wide).is_ok());

    let err = parse("deny sql write\ndeny http write").unwrap_err();
    assert_eq!(
        err,
        GuardError::ControlChar {
            position: 15,
            ch: '\n'
        }
    );
    assert_eq!(
        err.to_string(),
        "control character U+000A at character 15 (a guard is a single line of text)"
    );
    assert!(parse("# comment \u{7}").is_err());
    assert!(parse("deny\tsql\twrite").is_ok());
}

#[test]
fn guard_set_reports_line_number_and_text() {
    let err = GuardSet::parse(&["deny sql write", "# fine", "deny sql read"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "guard line 3 `deny sql read`: after `deny sql` expected `write` or SQL write verbs (`insert`, `update`, `delete`, ...), found `read`"
    );
    assert!(matches!(err, GuardSetError::Line { line: 3, .. }));
}

#[test]
fn guard_set_rejects_too_many_lines() {
    let lines = vec!["deny sql write"; MAX_GUARDS + 1];
    assert_eq!(
        GuardSet::parse(&lines),
        Err(GuardSetError::TooMany {
            count: MAX_GUARDS + 1,
            max: MAX_GUARDS
        })
    );
    assert!(GuardSet::parse(&lines[..MAX_GUARDS]).is_ok());
}

#[test]
fn guard_set_rejects_a_term_defined_twice() {
    let err = GuardSet::parse(&[
        "define inactive = last_login > 90 days",
        "",
        "define INACTIVE = last_login > 30 days",
    ])
    .unwrap_err();
    assert_eq!(
        err,
        GuardSetError::DuplicateTerm {
            term: "inactive".into(),
            first_line: 1,
            line: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "guard line 3: term `inactive` is already defined on line 1"
    );
}

#[test]
fn guard_set_summarises_the_rules() {
    let set = GuardSet::parse(&[
        "# audit",
        "deny http write",
        "define inactive = last_login > 90 days",
        "define region = EU",
    ])
    .unwrap();
    assert!(set.denies_http_write());
    assert!(!set.denies_sql_write());
    assert!(!set.denies_message_send());
    assert!(!set.has_tool_allowlist());
    let lines: Vec<(usize, &str)> = set
        .guards_with_lines()
        .map(|(l, g)| (l, g.rule_id()))
        .collect();
    assert_eq!(
        lines,
        [
            (2, "http.write"),
            (3, "define.inactive"),
            (4, "define.region")
        ]
    );
    let terms: Vec<&str> = set.definitions().map(Definition::term).collect();
    assert_eq!(terms, ["inactive", "region"]);
    assert_eq!(set.definition("REGION").map(Definition::text), Some("EU"));
    assert_eq!(set.definition("missing"), None);
    assert!(GuardSet::parse::<&str>(&[]).unwrap().is_empty());
}

#[test]
fn tools_without_rules_are_free() {
    let set = GuardSet::parse(&["deny sql write"]).unwrap();
    assert_eq!(set.check_tool("anything"), None);
}

#[test]
fn deny_wins_over_allow_and_allow_lists_close_the_rest() {
    let set = GuardSet::parse(&[
        "allow tool sql_* search",
        "allow tool summarize",
        "deny tool sql_drop*",
    ])
    .unwrap();
    assert!(set.has_tool_allowlist());
    assert_eq!(set.check_tool("sql_query"), None);
    assert_eq!(set.check_tool("Search"), None);
    assert_eq!(set.check_tool("summarize"), None);
    match set.check_tool("SQL_DROP_TABLE") {
        Some(v @ ToolViolation::Denied(glob)) => {
            assert_eq!(glob.as_str(), "sql_drop*");
            assert_eq!(v.rule_id(), "tool.deny");
        }
        other => panic!("expected a deny, got {other:?}"),
    }
    let v = set.check_tool("send_email");
    assert_eq!(v, Some(ToolViolation::NotAllowed));
    assert_eq!(v.map(|v| v.rule_id()), Some("tool.allow"));
}

#[test]
fn rule_ids_are_the_documented_contract() {
    let set = GuardSet::parse(&[
        "deny tool x",
        "allow tool y",
        "deny sql write",
        "deny http write",
        "deny message send",
        "define Term_1 = z",
    ])
    .unwrap();
    let ids: Vec<&str> = set.guards().iter().map(Guard::rule_id).collect();
    assert_eq!(
        ids,
        [
            "tool.deny",
            "tool.allow",
            "sql.write",
            "http.write",
            "message.send",
            "define.term_1"
        ]
    );
}

#[test]
fn a_comma_separates_tool_globs() {
    let g = parse("allow tool mes_lot_read, mes_lot_genealogy,wafermap_get  report_*")
        .unwrap()
        .unwrap();
    assert_eq!(
        globs(&g),
        [
            "mes_lot_read",
            "mes_lot_genealogy",
            "wafermap_get",
            "report_*"
        ]
    );
    let d = parse("deny tool ach_release*, ach_approve*")
        .unwrap()
        .unwrap();
    assert_eq!(globs(&d), ["ach_release*", "ach_approve*"]);
}
