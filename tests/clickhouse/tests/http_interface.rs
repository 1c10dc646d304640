//! Raw HTTP behaviour the project relies on: ping, formats, settings, params,
//! authentication, error mapping and native LZ4 framing on inserts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{get, post, query_target, server};
use reshimu_clickhouse_launcher::http;
use std::time::Duration;

#[test]
fn ping_and_root_answer_ok() {
    let ch = server();
    let host = common::host_port(ch);
    for path in ["/ping", "/"] {
        let response = http::request(&host, "GET", path, &[], b"", Duration::from_secs(5)).unwrap();
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.text(), "Ok.\n", "{path}");
    }
}

#[test]
fn query_in_url_and_body_default_tab_separated() {
    let ch = server();
    let response = get(ch, &query_target("SELECT 'a\tb', 42", ""));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "a\\tb\t42\n");
    assert_eq!(response.header("X-ClickHouse-Format"), Some("TabSeparated"));
    assert!(response.header("X-ClickHouse-Query-Id").is_some());
    assert!(
        response
            .header("X-ClickHouse-Summary")
            .unwrap()
            .contains("\"read_rows\"")
    );

    // URL query and body are joined by a line feed.
    let response = post(
        ch,
        &query_target("SELECT number FROM numbers(3)", ""),
        &[],
        b"WHERE number > 0",
    );
    assert_eq!(response.text(), "1\n2\n");
}

#[test]
fn formats_from_query_and_default_format() {
    let ch = server();
    let response = post(ch, "/?default_format=JSONEachRow", &[], b"SELECT 1 AS x");
    assert_eq!(response.text(), "{\"x\":1}\n");
    assert_eq!(response.header("X-ClickHouse-Format"), Some("JSONEachRow"));
    let response = post(
        ch,
        "/?default_format=JSONEachRow",
        &[],
        b"SELECT 1 AS x FORMAT CSV",
    );
    assert_eq!(response.text(), "1\n");
    assert_eq!(response.header("X-ClickHouse-Format"), Some("CSV"));
}

#[test]
fn settings_and_params_in_url() {
    let ch = server();
    let response = post(
        ch,
        &query_target(
            "SELECT getSetting('max_threads'), {name:String}, {n:UInt8} + 1",
            "max_threads=3&param_name=it%27s&param_n=41",
        ),
        &[],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "3\tit\\'s\t42\n");
    // Settings are per request: the next one sees the default again.
    let response = post(
        ch,
        &query_target("SELECT getSetting('max_threads') = 3", ""),
        &[],
        b"",
    );
    assert_eq!(response.text(), "0\n");
}

#[test]
fn unknown_setting_is_a_clickhouse_error() {
    let ch = server();
    let response = post(
        ch,
        &query_target("SELECT 1", "no_such_setting_x=1"),
        &[],
        b"",
    );
    assert_eq!(response.status, 404);
    assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("115"));
    assert!(
        response.text().starts_with("Code: 115. DB::Exception: "),
        "{}",
        response.text()
    );
    assert!(response.text().contains("(UNKNOWN_SETTING)"));
}

#[test]
fn errors_carry_code_status_and_text() {
    let ch = server();
    let syntax = post(ch, "/", &[], b"SELEC 1");
    assert_eq!(syntax.status, 400);
    assert_eq!(syntax.header("X-ClickHouse-Exception-Code"), Some("62"));
    assert!(
        syntax
            .text()
            .starts_with("Code: 62. DB::Exception: Syntax error"),
        "{}",
        syntax.text()
    );
    assert!(syntax.text().trim_end().ends_with(')'));

    let table = post(ch, "/", &[], b"SELECT * FROM default.no_such_table_here");
    assert_eq!(table.status, 404);
    assert_eq!(table.header("X-ClickHouse-Exception-Code"), Some("60"));
    assert!(table.text().contains("(UNKNOWN_TABLE)"), "{}", table.text());

    let other = post(ch, "/", &[], b"SELECT throwIf(1, 'boom')");
    assert_eq!(other.status, 500);
    assert_eq!(other.header("X-ClickHouse-Exception-Code"), Some("395"));
}

#[test]
fn get_is_read_only() {
    let ch = server();
    let response = get(
        ch,
        &query_target("CREATE DATABASE never_created_by_get", ""),
    );
    assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("164"));
    assert!(response.text().contains("(READONLY)"));
}

#[test]
fn wrong_password_is_authentication_failed() {
    let ch = server();
    let host = common::host_port(ch);
    let wrong = format!("{}-wrong", ch.password());
    let by_header = http::request(
        &host,
        "POST",
        "/",
        &[
            ("X-ClickHouse-User", ch.user()),
            ("X-ClickHouse-Key", &wrong),
        ],
        b"SELECT 1",
        Duration::from_secs(5),
    )
    .unwrap();
    let by_url = http::request(
        &host,
        "POST",
        &format!(
            "/?user={}&password={}",
            ch.user(),
            http::encode_component(&wrong)
        ),
        &[],
        b"SELECT 1",
        Duration::from_secs(5),
    )
    .unwrap();
    for response in [by_header, by_url] {
        assert_eq!(response.status, 403);
        assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("516"));
        assert!(
            response.text().starts_with("Code: 516. DB::Exception: "),
            "{}",
            response.text()
        );
        assert!(response.text().contains("(AUTHENTICATION_FAILED)"));
    }
}

#[tokio::test]
async fn wrong_password_through_the_client() {
    let ch = server();
    let client = ch
        .client()
        .with_password(format!("{}-wrong", ch.password()));
    let err = client
        .query("SELECT 1")
        .fetch_one::<u8>()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Code: 516"), "{text}");
}

/// A ClickHouse native block: checksum, 0x82, sizes, LZ4 payload.
fn native_lz4_block(data: &[u8]) -> Vec<u8> {
    let payload = lz4_flex::block::compress(data);
    let mut block = vec![0x82];
    block.extend_from_slice(&(9 + payload.len() as u32).to_le_bytes());
    block.extend_from_slice(&(data.len() as u32).to_le_bytes());
    block.extend_from_slice(&payload);
    let checksum = cityhash_rs::cityhash_102_128(&block).rotate_right(64);
    let mut out = checksum.to_le_bytes().to_vec();
    out.extend_from_slice(&block);
    out
}

#[test]
fn native_lz4_insert_is_verified() {
    let ch = server();
    let db = ch.fresh_database("lz4").unwrap();
    ch.execute(&format!(
        "CREATE TABLE `{db}`.t (a UInt32, s String) ENGINE = MergeTree ORDER BY a"
    ))
    .unwrap();
    let target = query_target(
        "INSERT INTO t FORMAT TabSeparated",
        &format!("database={db}&decompress=1"),
    );
    let good = native_lz4_block(b"1\tone\n2\ttwo\n");
    let response = post(ch, &target, &[], &good);
    assert_eq!(response.status, 200, "{}", response.text());

    let mut corrupted = native_lz4_block(b"3\tthree\n");
    corrupted[3] ^= 0x01;
    let response = post(ch, &target, &[], &corrupted);
    assert_eq!(response.status, 500);
    assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("40"));
    assert!(
        response.text().contains("(CHECKSUM_DOESNT_MATCH)"),
        "{}",
        response.text()
    );

    let rows = post(
        ch,
        &query_target("SELECT a, s FROM t ORDER BY a", &format!("database={db}")),
        &[],
        b"",
    );
    assert_eq!(rows.text(), "1\tone\n2\ttwo\n");
}

#[test]
fn compressed_response_on_request() {
    let ch = server();
    let response = post(ch, &query_target("SELECT 'hello'", "compress=1"), &[], b"");
    assert_eq!(response.status, 200);
    let body = response.body;
    let checksum = u128::from_le_bytes(body[..16].try_into().unwrap());
    assert_eq!(
        checksum,
        cityhash_rs::cityhash_102_128(&body[16..]).rotate_right(64)
    );
    assert_eq!(body[16], 0x82);
    let size = u32::from_le_bytes(body[21..25].try_into().unwrap()) as usize;
    let data = lz4_flex::block::decompress(&body[25..], size).unwrap();
    assert_eq!(data, b"hello\n");
}

#[test]
fn insert_formats_and_database_header() {
    let ch = server();
    let db = ch.fresh_database("fmt").unwrap();
    ch.execute(&format!(
        "CREATE TABLE `{db}`.t (a UInt32, s String) ENGINE = MergeTree ORDER BY a"
    ))
    .unwrap();
    let response = post(
        ch,
        &query_target("INSERT INTO t FORMAT JSONEachRow", ""),
        &[("X-ClickHouse-Database", &db)],
        b"{\"a\":5,\"s\":\"five\"}\n",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let response = post(
        ch,
        "/",
        &[("X-ClickHouse-Database", &db)],
        b"INSERT INTO t FORMAT CSV\n6,six\n",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let rows = post(
        ch,
        "/",
        &[("X-ClickHouse-Database", &db)],
        b"SELECT a, s FROM t ORDER BY a",
    );
    assert_eq!(rows.text(), "5\tfive\n6\tsix\n");
}

/// What real ClickHouse refuses, the local server refuses too: more than 100
/// partitions in one insert block (code 252) and rows that do not parse; and
/// a repeated `insert_deduplication_token` inserts nothing the second time.
#[test]
fn inserts_refuse_what_clickhouse_refuses_and_deduplicate() {
    let ch = server();
    let db = ch.fresh_database("refuse").unwrap();
    ch.execute(&format!(
        "CREATE TABLE `{db}`.t (ts DateTime, s String) ENGINE = MergeTree \
         PARTITION BY toDate(ts) ORDER BY ts SETTINGS non_replicated_deduplication_window = 100"
    ))
    .unwrap();
    let insert = |extra: &str, body: &[u8]| {
        let settings = if extra.is_empty() {
            format!("database={db}")
        } else {
            format!("database={db}&{extra}")
        };
        post(
            ch,
            &query_target("INSERT INTO t FORMAT TabSeparated", &settings),
            &[],
            body,
        )
    };
    let days: String = (0..150)
        .map(|day| format!("{}\tday{day}\n", 1_700_000_000 + day * 86_400))
        .collect();
    let response = insert("", days.as_bytes());
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("252"));
    assert!(
        response
            .text()
            .contains("Too many partitions for single INSERT block (more than 100)"),
        "{}",
        response.text()
    );
    assert!(
        !response.text().contains("insert-spill"),
        "{}",
        response.text()
    );

    let response = insert("", b"not a time\tx\n");
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(response.header("X-ClickHouse-Exception-Code"), Some("41"));

    for _ in 0..2 {
        let response = insert("insert_deduplication_token=batch-1", b"1700000000\tonce\n");
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let rows = post(
        ch,
        &query_target("SELECT s FROM t ORDER BY s", &format!("database={db}")),
        &[],
        b"",
    );
    // Neither refused insert stored anything; the repeated one stored one row.
    assert_eq!(rows.text(), "once\n");
}
