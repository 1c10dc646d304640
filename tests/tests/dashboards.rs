//! The Grafana dashboards of `dashboards/`: their structure as Grafana and the
//! ClickHouse plugin read it, and every panel query, macros expanded as the
//! plugin expands them, run on the real engine against a database that a real
//! collector filled with the reference session (clean and drifted), sent over
//! OTLP/HTTP. The expectations are read from what the collector stored.
//!
//! The engine is the local launcher's (`CLICKHOUSE_URL`, a `clickhouse` binary,
//! or chDB over HTTP). A column renamed in `schemas/clickhouse/`, or a change
//! to what the collector stores, breaks the queries or expectations here.

// Tests fail loudly: a panic is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_e2e::dashboards::engine::{self, Frame, SeededDatabase};
use reshimu_e2e::dashboards::load::{self, Dashboard};
use reshimu_e2e::dashboards::macros::{QueryContext, TimeRange, VarValue};
use reshimu_e2e::dashboards::seed::{self, Session};
use reshimu_e2e::dashboards::typecheck;
use serde_json::Value;

const PLUGIN: &str = "grafana-clickhouse-datasource";
/// The plugin version the dashboards are written for, installed by the
/// compose file and named in the README.
const PLUGIN_VERSION: &str = "4.20.0";
/// Where both the Docker image and the deb/rpm packages read provisioning.
const GRAFANA_PROVISIONING: &str = "/etc/grafana/provisioning";
const OVERVIEW: &str = "reshimu-overview";
const LINEAGE: &str = "reshimu-session-lineage";
const VIOLATIONS: &str = "reshimu-violations";

/// Every query of every panel, `(dashboard uid, panel title, refId)`, with
/// the columns it must return in order. A query missing here, or listed here
/// but missing from the dashboards, fails `every_panel_query_returns_its_columns`.
const EXPECTED_COLUMNS: &[(&str, &str, &str, &[&str])] = &[
    (
        OVERVIEW,
        "Sessions and spans scored",
        "A",
        &["Sessions", "Spans"],
    ),
    (
        OVERVIEW,
        "Verdicts",
        "A",
        &["aligned", "drifting", "thin", "violation", "unscoped"],
    ),
    (
        OVERVIEW,
        "Model calls without content",
        "A",
        &["Calls", "Sessions"],
    ),
    (
        OVERVIEW,
        "Verdicts over time",
        "A",
        &["time", "Verdict", "Spans"],
    ),
    (
        OVERVIEW,
        "Alignment p50 and p5 by agent",
        "A",
        &["time", "AgentName", "p50", "p5"],
    ),
    (OVERVIEW, "Lowest alignment", "A", SESSION_TABLE),
    (OVERVIEW, "Most violations", "A", SESSION_TABLE),
    (
        OVERVIEW,
        "Alignment by delegation depth",
        "A",
        &[
            "Level",
            "MeanAlignment",
            "P5Alignment",
            "MeanCoverage",
            "Spans",
        ],
    ),
    (LINEAGE, "Root intent", "A", &["Bullet", "Text"]),
    (
        LINEAGE,
        "Session",
        "A",
        &[
            "MinAlignment",
            "MeanAlignment",
            "Violations",
            "Thin",
            "Spans",
            "MaxDepth",
            "NoContent",
        ],
    ),
    (
        LINEAGE,
        "Intent tree",
        "nodes",
        &[
            "id",
            "title",
            "subtitle",
            "mainstat",
            "secondarystat",
            "arc__aligned",
            "arc__drifting",
            "arc__thin",
            "arc__violation",
            "arc__unscored",
            "highlighted",
            "detail__objective",
            "detail__scope",
            "detail__constraints",
            "detail__lost",
        ],
    ),
    (
        LINEAGE,
        "Intent tree",
        "edges",
        &[
            "id",
            "source",
            "target",
            "mainstat",
            "secondarystat",
            "detail__task",
            "detail__lost",
        ],
    ),
    (
        LINEAGE,
        "Spans in time order",
        "A",
        &[
            "Time",
            "Agent",
            "Kind",
            "Action",
            "SpanName",
            "Depth",
            "Alignment",
            "LocalAlignment",
            "Coverage",
            "Verdict",
            "Violations",
            "Explanation",
            "TraceId",
            "SpanId",
        ],
    ),
    (LINEAGE, "Trace $trace", "A", TRACE_VIEW),
    (
        VIOLATIONS,
        "Broken rules",
        "A",
        &["Violations", "Sessions", "Agents"],
    ),
    (
        VIOLATIONS,
        "Violations by rule",
        "A",
        &["Rule", "Violations", "Sessions", "Agents"],
    ),
    (
        VIOLATIONS,
        "Violations",
        "A",
        &[
            "Time",
            "SessionId",
            "Agent",
            "Rule",
            "Evidence",
            "Kind",
            "Action",
            "Alignment",
            "Explanation",
            "TraceId",
        ],
    ),
    (
        VIOLATIONS,
        "Thin delegations: what each contraction lost from its root",
        "A",
        &[
            "Time",
            "SessionId",
            "DelegatedBy",
            "Delegate",
            "Depth",
            "Coverage",
            "Lost",
            "Task",
            "RootObjective",
            "Verdict",
            "Explanation",
        ],
    ),
    (
        VIOLATIONS,
        "Thin and drifting spans",
        "A",
        &[
            "Time",
            "SessionId",
            "Agent",
            "Verdict",
            "Kind",
            "Action",
            "Depth",
            "Coverage",
            "Alignment",
            "Explanation",
        ],
    ),
    (
        VIOLATIONS,
        "Model calls without content",
        "A",
        &[
            "LastSeen",
            "SessionId",
            "Service",
            "Agent",
            "Instrumentation",
            "Model",
            "Calls",
        ],
    ),
];

const SESSION_TABLE: &[&str] = &[
    "SessionId",
    "Intent",
    "Objective",
    "MinAlignment",
    "MeanAlignment",
    "Violations",
    "Thin",
    "Drifting",
    "Spans",
    "MaxDepth",
    "Agents",
    "LastSeen",
];

/// The columns Grafana's trace view reads from a `traces` frame.
const TRACE_VIEW: &[&str] = &[
    "traceID",
    "spanID",
    "parentSpanID",
    "serviceName",
    "operationName",
    "startTime",
    "duration",
    "tags",
    "serviceTags",
    "statusCode",
    "statusMessage",
    "kind",
    "logs",
    "references",
];

// ------------------------------------------------------------------ fixtures

fn server() -> &'static LocalClickHouse {
    LocalClickHouse::shared().unwrap()
}

/// One database, filled once by a collector, for the whole test binary; the
/// queries only read.
fn seeded() -> &'static SeededDatabase {
    static DB: OnceLock<SeededDatabase> = OnceLock::new();
    DB.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(engine::seeded_database(server(), "dashboards"))
            .unwrap()
    })
}

fn dashboards() -> Vec<Dashboard> {
    load::dashboards().unwrap()
}

fn dashboard(uid: &str) -> Dashboard {
    dashboards()
        .into_iter()
        .find(|d| d.uid() == uid)
        .unwrap_or_else(|| panic!("no dashboard {uid}"))
}

/// The dashboards' time range around the seeded sessions: the last hour up
/// to a minute from now, as "Last 1 hour" would be a moment later.
fn range(db: &SeededDatabase) -> TimeRange {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    TimeRange {
        from_ms: (db.reference.first_ns / 1_000_000 - 3_600_000).min(now_ms - 3_600_000),
        to_ms: now_ms.max(db.reference.last_ns / 1_000_000) + 60_000,
        interval_ms: 60_000,
    }
}

fn raw_sql(target: &Value) -> &str {
    target["rawSql"].as_str().unwrap()
}

fn variable_sql(dash: &Dashboard, name: &str) -> String {
    let var = dash
        .variable(name)
        .unwrap_or_else(|| panic!("{}: no variable {name}", dash.uid()));
    var["query"]["rawSql"].as_str().unwrap().to_owned()
}

/// Runs a variable's query and returns its values (first column).
fn options(dash: &Dashboard, name: &str, ctx: &QueryContext) -> Vec<String> {
    let sql = ctx.expand(&variable_sql(dash, name)).unwrap();
    let frame = run(&sql);
    let first = frame.names()[0].to_owned();
    frame.strings(&first)
}

fn run(sql: &str) -> Frame {
    engine::run(server(), sql).unwrap_or_else(|e| panic!("{e}\n--- query ---\n{sql}"))
}

/// The variables as a dashboard opens: database, "All" for the multi-value
/// variables (their options from their own queries) and, for the lineage
/// view, `session` set to `session`.
fn context(dash: &Dashboard, session: Option<&str>) -> QueryContext {
    let db = seeded();
    let base = QueryContext::new(range(db)).with("database", VarValue::single(&db.database));
    let mut ctx = base.clone();
    for name in ["agent", "service"] {
        let values = options(dash, name, &base);
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        ctx = ctx.with(name, VarValue::all(&refs));
    }
    let sessions = options(dash, "session", &base);
    let refs: Vec<&str> = sessions.iter().map(String::as_str).collect();
    ctx = match session {
        Some(id) => ctx.with("session", VarValue::single(id)),
        None => ctx.with("session", VarValue::all(&refs)),
    };
    if dash.variable("trace").is_some() {
        let traces = options(dash, "trace", &ctx);
        let refs: Vec<&str> = traces.iter().map(String::as_str).collect();
        ctx = ctx.with("trace", VarValue::all(&refs));
    }
    ctx
}

fn session_context(dash: &Dashboard) -> QueryContext {
    context(dash, Some(&seeded().reference.drifted.id))
}

/// Runs the query `ref_id` of the panel `title` with `ctx`.
fn panel_query(dash: &Dashboard, title: &str, ref_id: &str, ctx: &QueryContext) -> Frame {
    let panel = dash
        .panel(title)
        .unwrap_or_else(|| panic!("{}: no panel {title}", dash.uid()));
    let (_, target) = load::targets(panel)
        .into_iter()
        .find(|(r, _)| *r == ref_id)
        .unwrap_or_else(|| panic!("{title}: no target {ref_id}"));
    run(&ctx.expand(raw_sql(target)).unwrap())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

// ------------------------------------------------------------------ structure

#[test]
fn dashboards_have_stable_unique_uids() {
    let all = dashboards();
    let uids: Vec<&str> = all.iter().map(Dashboard::uid).collect();
    assert_eq!(uids, [OVERVIEW, LINEAGE, VIOLATIONS]);
    for dash in &all {
        let ids: Vec<i64> = dash
            .panels()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{}: duplicate panel ids",
            dash.uid()
        );
        let titles: BTreeSet<&str> = dash
            .panels()
            .iter()
            .map(|p| p["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles.len(),
            ids.len(),
            "{}: duplicate panel titles",
            dash.uid()
        );
        assert!(
            dash.json["id"].is_null(),
            "{}: id must be null to import",
            dash.uid()
        );
        assert!(dash.json["schemaVersion"].as_i64().unwrap() >= 39);
    }
}

#[test]
fn every_panel_and_target_uses_the_datasource_variable() {
    let expected = serde_json::json!({"type": PLUGIN, "uid": "${datasource}"});
    for dash in dashboards() {
        for panel in dash.panels() {
            let title = panel["title"].as_str().unwrap();
            assert_eq!(panel["datasource"], expected, "{}: {title}", dash.uid());
            assert!(!load::targets(panel).is_empty(), "{title}: no query");
            for (ref_id, target) in load::targets(panel) {
                assert_eq!(target["datasource"], expected, "{title} {ref_id}");
            }
        }
        for var in dash.variables() {
            if var["type"] == "query" {
                assert_eq!(var["datasource"], expected, "variable {}", var["name"]);
            }
        }
    }
}

#[test]
fn every_target_is_raw_sql_in_a_format_that_fits_its_panel() {
    for dash in dashboards() {
        for panel in dash.panels() {
            let kind = panel["type"].as_str().unwrap();
            for (ref_id, target) in load::targets(panel) {
                let what = format!("{} {} {ref_id}", dash.uid(), panel["title"]);
                assert_eq!(target["editorType"], "sql", "{what}");
                assert!(!raw_sql(target).trim().is_empty(), "{what}");
                // sqlutil.FormatQueryOption: 0 time series, 1 table, 3 traces.
                let (format, query_type) = match kind {
                    "timeseries" => (0, "timeseries"),
                    "traces" => (3, "traces"),
                    _ => (1, "table"),
                };
                assert_eq!(target["format"], format, "{what}");
                assert_eq!(target["queryType"], query_type, "{what}");
                assert_eq!(target["pluginVersion"], PLUGIN_VERSION, "{what}");
            }
        }
    }
}

#[test]
fn every_dashboard_has_the_variables() {
    for dash in dashboards() {
        let ds = dash.variable("datasource").unwrap();
        assert_eq!(ds["type"], "datasource");
        assert_eq!(ds["query"], PLUGIN);
        assert_eq!(ds["current"]["value"], "reshimu-clickhouse");

        let database = dash.variable("database").unwrap();
        assert!(matches!(
            database["type"].as_str(),
            Some("textbox" | "constant")
        ));
        assert_eq!(database["query"], "reshimu");
        assert_eq!(database["current"]["value"], "reshimu");

        for name in ["session", "agent", "service"] {
            let var = dash
                .variable(name)
                .unwrap_or_else(|| panic!("{}: no ${name}", dash.uid()));
            assert_eq!(var["type"], "query", "{name}");
            assert_eq!(var["query"]["editorType"], "sql", "{name}");
        }
        for name in ["agent", "service"] {
            let var = dash.variable(name).unwrap();
            assert_eq!(var["multi"], true, "{name}");
            assert_eq!(var["includeAll"], true, "{name}");
        }
    }
    // The lineage view shows exactly one session.
    let session = dashboard(LINEAGE).variable("session").unwrap().clone();
    assert_eq!(session["multi"], false);
    assert_eq!(session["includeAll"], false);
}

#[test]
fn node_graph_panel_has_nodes_and_edges_queries() {
    let dash = dashboard(LINEAGE);
    let graphs: Vec<&Value> = dash
        .panels()
        .into_iter()
        .filter(|p| p["type"] == "nodeGraph")
        .collect();
    assert_eq!(graphs.len(), 1);
    let refs: Vec<&str> = load::targets(graphs[0]).iter().map(|(r, _)| *r).collect();
    assert_eq!(refs, ["nodes", "edges"]);
    let traces: Vec<&Value> = dash
        .panels()
        .into_iter()
        .filter(|p| p["type"] == "traces")
        .collect();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0]["repeat"], "trace", "one trace view per trace");
}

#[test]
fn links_open_existing_dashboards() {
    let all = dashboards();
    let uids: BTreeSet<&str> = all.iter().map(Dashboard::uid).collect();
    let mut links = 0;
    for dash in &all {
        let text = dash.json.to_string();
        for (at, _) in text.match_indices("/d/") {
            let uid: String = text[at + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                uids.contains(uid.as_str()),
                "{}: link to unknown {uid}",
                dash.uid()
            );
            links += 1;
        }
    }
    // Both session tables of the overview link to the lineage view.
    let overview = dashboard(OVERVIEW);
    for title in ["Lowest alignment", "Most violations"] {
        let panel = overview.panel(title).unwrap();
        assert!(
            panel["fieldConfig"]
                .to_string()
                .contains("/d/reshimu-session-lineage?var-session=")
        );
    }
    assert!(links >= 5);
}

#[test]
fn provisioned_datasource_is_the_clickhouse_plugin_configured_from_the_environment() {
    let yaml = load::provisioning_yaml("datasources/reshimu.yaml").unwrap();
    assert_eq!(yaml["apiVersion"], 1);
    let sources = yaml["datasources"].as_sequence().unwrap();
    assert_eq!(sources.len(), 1);
    let ds = &sources[0];
    assert_eq!(ds["type"], PLUGIN);
    assert_eq!(ds["uid"], "reshimu-clickhouse");
    let json = &ds["jsonData"];
    assert_eq!(json["protocol"], "http");
    assert_eq!(json["defaultDatabase"], "reshimu");
    for (key, var) in [
        ("host", "CLICKHOUSE_HOST"),
        ("port", "CLICKHOUSE_PORT"),
        ("username", "CLICKHOUSE_USER"),
    ] {
        let value = json[key].as_str().unwrap();
        assert!(
            value == format!("${{{var}}}") || value == format!("${var}"),
            "jsonData.{key} = {value}"
        );
    }
    assert_eq!(ds["secureJsonData"]["password"], "$CLICKHOUSE_PASSWORD");
    // Without otelVersion the plugin has no OTel column map: the trace builder
    // starts unconfigured and TraceId cells get no trace link.
    let traces = &json["traces"];
    assert_eq!(traces["otelEnabled"], true);
    assert_eq!(traces["otelVersion"], "latest");
    assert_eq!(traces["defaultTable"], "spans");
}

#[test]
fn provisioned_dashboard_provider_points_at_the_json_files() {
    let yaml = load::provisioning_yaml("dashboards/reshimu.yaml").unwrap();
    assert_eq!(yaml["apiVersion"], 1);
    let providers = yaml["providers"].as_sequence().unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0]["type"], "file");
    let path = providers[0]["options"]["path"].as_str().unwrap();
    // An absolute path: GF_PATHS_PROVISIONING is set by the Docker image but
    // not by the deb and rpm packages, whose folder is the same one.
    let relative = path
        .strip_prefix(&format!("{GRAFANA_PROVISIONING}/"))
        .unwrap_or_else(|| panic!("path {path} is not under {GRAFANA_PROVISIONING}"));
    let dir = load::provisioning_dir().join(relative);
    assert_eq!(
        dir.canonicalize().unwrap(),
        load::json_dir().canonicalize().unwrap()
    );
    assert_eq!(dashboards().len(), 3);
}

#[test]
fn data_links_percent_encode_what_they_put_in_urls() {
    let mut urls = 0;
    for dash in dashboards() {
        let text = dash.json.to_string();
        for (at, _) in text.match_indices("\"url\":\"") {
            let url: String = text[at + 7..].chars().take_while(|c| *c != '"').collect();
            urls += 1;
            // Every interpolation is encoded: a value as :percentencode, a
            // variable as a whole name=value pair with :queryparam.
            for (start, _) in url.match_indices("${") {
                let expr: String = url[start + 2..].chars().take_while(|c| *c != '}').collect();
                assert!(
                    expr.ends_with(":percentencode")
                        || expr.ends_with(":queryparam")
                        || expr == "__url_time_range",
                    "{}: ${{{expr}}} goes into {url} unencoded",
                    dash.uid()
                );
            }
        }
    }
    assert!(urls >= 5, "{urls} data links");
}

#[test]
fn dashboards_and_provisioning_fit_grafanas_published_types() {
    let outcome = typecheck::run(None).unwrap();
    assert!(outcome.passed, "{}", outcome.output);

    // A misspelled option, an override of an option that does not exist and a
    // misspelled provisioning key each fail the check, named in its output.
    let dir = std::env::temp_dir().join(format!("reshimu-typecheck-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&load::provisioning_dir(), &dir);
    let lineage = dir.join("dashboards/reshimu/reshimu-session-lineage.json");
    let text = load::read(&lineage).unwrap();
    let broken = text
        .replacen("\"cellHeight\"", "\"cellHight\"", 1)
        .replacen("\"custom.wrapText\"", "\"custom.wrapTxt\"", 1);
    assert_ne!(broken, text);
    std::fs::write(&lineage, broken).unwrap();
    // The new panel of the overview too: its stat options are checked.
    let overview = dir.join("dashboards/reshimu/reshimu-overview.json");
    let text = load::read(&overview).unwrap();
    let at = text.find("\"Model calls without content\"").unwrap();
    let option = at + text[at..].find("\"graphMode\"").unwrap();
    let broken = format!("{}\"graphMod\"{}", &text[..option], &text[option + 11..]);
    std::fs::write(&overview, broken).unwrap();
    let datasource = dir.join("datasources/reshimu.yaml");
    let yaml = load::read(&datasource).unwrap();
    std::fs::write(&datasource, yaml.replace("otelVersion:", "otelVersoin:")).unwrap();
    let outcome = typecheck::run(Some(&dir)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!outcome.passed, "{}", outcome.output);
    for name in ["cellHight", "custom.wrapTxt", "graphMod", "otelVersoin"] {
        assert!(
            outcome.output.contains(name),
            "{name} not reported:\n{}",
            outcome.output
        );
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The repository root.
fn repo() -> std::path::PathBuf {
    load::dashboards_dir().join("..")
}

#[test]
fn compose_file_parses_mounts_what_exists_and_pins_every_image() {
    // Docker cannot run here, so this is the compose file's check: its
    // structure, its files and its versions, not a running stack.
    let text = load::read(&repo().join("docker-compose.yml")).unwrap();
    let compose: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: BTreeSet<&str> = services.keys().filter_map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["clickhouse", "collector", "grafana"])
    );
    let mut mounts = 0;
    for (name, service) in services {
        let name = name.as_str().unwrap();
        if let Some(image) = service["image"].as_str() {
            let (_, tag) = image
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("{name}: image {image} has no tag"));
            assert!(
                tag != "latest"
                    && tag.split('.').count() >= 2
                    && tag.chars().next().unwrap().is_ascii_digit(),
                "{name}: image {image} is not pinned to a version"
            );
        } else {
            let build = &service["build"];
            let context = repo().join(build["context"].as_str().unwrap());
            assert!(
                context
                    .join(build["dockerfile"].as_str().unwrap())
                    .is_file(),
                "{name}: dockerfile"
            );
        }
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let spec = volume.as_str().unwrap();
            let source = spec.split(':').next().unwrap();
            if source.starts_with('.') {
                assert!(
                    repo().join(source).exists(),
                    "{name}: {source} does not exist"
                );
                mounts += 1;
            }
        }
    }
    assert!(mounts >= 3, "{mounts} bind mounts");

    let grafana = &services[&serde_yaml::Value::from("grafana")];
    let env = &grafana["environment"];
    assert!(
        env["GF_INSTALL_PLUGINS"].is_null(),
        "deprecated since Grafana 12"
    );
    assert_eq!(
        env["GF_PLUGINS_PREINSTALL"].as_str(),
        Some(format!("{PLUGIN}@{PLUGIN_VERSION}").as_str()),
        "the plugin version the dashboards are written for"
    );
    // The provisioning folder lands where the dashboard provider looks, and
    // the data source's variables are all set.
    let volumes: Vec<&str> = grafana["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        volumes.contains(&format!("./dashboards/provisioning:{GRAFANA_PROVISIONING}:ro").as_str()),
        "{volumes:?}"
    );
    for var in [
        "CLICKHOUSE_HOST",
        "CLICKHOUSE_PORT",
        "CLICKHOUSE_USER",
        "CLICKHOUSE_PASSWORD",
    ] {
        assert!(env[var].as_str().is_some(), "grafana: {var} unset");
    }
    assert_eq!(
        env["CLICKHOUSE_HOST"], "clickhouse",
        "the ClickHouse service"
    );
    let collector = &services[&serde_yaml::Value::from("collector")];
    assert_eq!(
        collector["environment"]["CLICKHOUSE_URL"],
        "http://clickhouse:8123"
    );
}

#[test]
fn readme_read_only_user_is_the_one_compose_creates() {
    // The snippet in dashboards/README.md is the file the compose file runs
    // in ClickHouse, so the documented user is the one the stack uses.
    let readme = load::read(&load::dashboards_dir().join("README.md")).unwrap();
    let sql = load::read(&repo().join("deploy/clickhouse-init/grafana-reader.sql")).unwrap();
    let statements: Vec<&str> = sql
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
        .collect();
    let body = statements.join("\n");
    assert!(
        readme.contains(&body),
        "dashboards/README.md does not show:\n{body}"
    );
    assert!(
        body.contains("max_execution_time"),
        "the plugin sets it on every query"
    );
    assert!(body.contains("CHANGEABLE_IN_READONLY"));
    assert!(body.contains("readonly = 1"));
}

#[test]
fn readonly_user_snippet_runs_on_the_engine() {
    // The snippet under test names of its own, so a real server's users are
    // left alone; they are dropped afterwards.
    let suffix = format!("reshimu_test_{}", std::process::id());
    let sql = load::read(&repo().join("deploy/clickhouse-init/grafana-reader.sql"))
        .unwrap()
        .replace("grafana_reader", &format!("reader_{suffix}"))
        .replace(
            "USER IF NOT EXISTS grafana",
            &format!("USER IF NOT EXISTS grafana_{suffix}"),
        )
        .replace("TO grafana;", &format!("TO grafana_{suffix};"));
    let statements: Vec<String> = sql
        .split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
        .collect();
    assert_eq!(statements.len(), 3, "{statements:?}");
    let mut created = true;
    for statement in &statements {
        if let Err(e) = server().execute(statement) {
            // chDB (the local engine) parses access statements but has no
            // access management; anything else is a broken snippet.
            let message = e.to_string();
            assert!(
                message.contains("ACCESS_DENIED") || message.contains("UNKNOWN_ROLE"),
                "{statement}: {message}"
            );
            created = false;
        }
    }
    if !created {
        eprintln!(
            "this ClickHouse has no access management: the snippet parses, the user was not tried"
        );
        return;
    }
    let reader =
        LocalClickHouse::external(server().url(), &format!("grafana_{suffix}"), "grafana").unwrap();
    let select = reader.execute("SELECT 1 SETTINGS max_execution_time = 30");
    let write = reader.execute("CREATE DATABASE reshimu_must_not_exist");
    let _ = server().execute(&format!("DROP USER IF EXISTS grafana_{suffix}"));
    let _ = server().execute(&format!("DROP SETTINGS PROFILE IF EXISTS reader_{suffix}"));
    select.expect("the plugin's max_execution_time is accepted in readonly mode");
    assert!(write.is_err(), "the Grafana user must not write");
}

// ------------------------------------------------------------------ queries on the engine

#[test]
fn every_panel_query_returns_its_columns() {
    let mut expected: BTreeMap<(String, String, String), &[&str]> = EXPECTED_COLUMNS
        .iter()
        .map(|(d, p, r, c)| (((*d).into(), (*p).into(), (*r).into()), *c))
        .collect();
    for dash in dashboards() {
        let ctx = match dash.uid() {
            LINEAGE => session_context(&dash),
            _ => context(&dash, None),
        };
        for panel in dash.panels() {
            let title = panel["title"].as_str().unwrap().to_owned();
            for (ref_id, target) in load::targets(panel) {
                let key = (dash.uid().to_owned(), title.clone(), ref_id.to_owned());
                let columns = expected
                    .remove(&key)
                    .unwrap_or_else(|| panic!("no expected columns for {key:?}"));
                let sql = ctx.expand(raw_sql(target)).unwrap();
                let frame = run(&sql);
                assert_eq!(frame.names(), columns, "{key:?}");
                assert!(!frame.rows.is_empty(), "{key:?} returned no rows\n{sql}");
                if target["format"] == 0 {
                    // A time series frame leads with its time column.
                    let ty = frame.column_type("time").unwrap();
                    assert!(ty.starts_with("DateTime"), "{key:?}: time is {ty}");
                }
            }
        }
    }
    assert!(
        expected.is_empty(),
        "expected but not in any dashboard: {:?}",
        expected.keys()
    );
}

#[test]
fn every_variable_query_runs() {
    let db = seeded();
    for dash in dashboards() {
        let ctx = match dash.uid() {
            LINEAGE => session_context(&dash),
            _ => context(&dash, None),
        };
        for var in dash.variables() {
            if var["type"] != "query" {
                continue;
            }
            let name = var["name"].as_str().unwrap();
            let values = options(&dash, name, &ctx);
            assert!(!values.is_empty(), "{}: ${name} has no options", dash.uid());
            assert!(
                !values.contains(&db.reference.old_session),
                "${name}: out of range"
            );
        }
    }
    let overview = dashboard(OVERVIEW);
    let ctx = context(&overview, None);
    // Worst session first: the drifted one, then the plain agent's and the
    // clean one (as low as each other here; the later one first).
    let sessions = options(&overview, "session", &ctx);
    assert_eq!(
        sessions,
        [
            db.reference.drifted.id.as_str(),
            db.reference.plain.id.as_str(),
            db.reference.clean.id.as_str()
        ]
    );
    assert!(db.reference.plain.min_alignment() <= db.reference.clean.min_alignment());
    assert!(db.reference.plain.first_ns() > db.reference.clean.first_ns());
    // The agents the collector stored, sorted: the reference's three, the
    // plain agent, and the health check named after its service (it names no
    // agent).
    let mut stored_agents: Vec<&str> = db
        .reference
        .current()
        .into_iter()
        .flat_map(|s| &s.spans)
        .map(|s| s.agent_name.as_str())
        .collect();
    stored_agents.sort_unstable();
    stored_agents.dedup();
    assert_eq!(options(&overview, "agent", &ctx), stored_agents);
    for agent in [
        seed::COORDINATOR,
        seed::QUERY_AGENT,
        seed::SUMMARIZER,
        seed::PLAIN_AGENT,
        seed::PROBE_SERVICE,
    ] {
        assert!(stored_agents.contains(&agent), "{agent}: {stored_agents:?}");
    }
    let services = options(&overview, "service", &ctx);
    assert!(
        services.iter().any(|s| s == seed::PROBE_SERVICE),
        "{services:?}"
    );
    let lineage = dashboard(LINEAGE);
    let traces = options(&lineage, "trace", &session_context(&lineage));
    assert_eq!(traces, db.reference.drifted.traces);
}

#[test]
fn overview_counts_scored_sessions_spans_and_verdicts() {
    let db = seeded();
    let dash = dashboard(OVERVIEW);
    let ctx = context(&dash, None);
    let (clean, drifted) = (&db.reference.clean, &db.reference.drifted);
    let current = db.reference.current();
    assert_eq!(clean.count("unscoped"), 1, "the health check is unscoped");

    // The clean, drifted and plain sessions.
    let frame = panel_query(&dash, "Sessions and spans scored", "A", &ctx);
    assert_eq!(frame.numbers("Sessions"), [Some(3.0)]);
    let scored: usize = current.iter().map(|s| s.scored().count()).sum();
    assert_eq!(frame.numbers("Spans"), [Some(scored as f64)]);

    let frame = panel_query(&dash, "Verdicts", "A", &ctx);
    for verdict in ["aligned", "drifting", "thin", "violation", "unscoped"] {
        let stored: usize = current.iter().map(|s| s.count(verdict)).sum();
        assert_eq!(frame.numbers(verdict), [Some(stored as f64)], "{verdict}");
    }
    assert!(frame.numbers("violation")[0].unwrap() > 0.0);
    assert!(frame.numbers("thin")[0].unwrap() > 0.0);

    // Only the summarizer's spans when $agent = summarizer.
    let only = ctx
        .clone()
        .with("agent", VarValue::multi(&[seed::SUMMARIZER]));
    let frame = panel_query(&dash, "Sessions and spans scored", "A", &only);
    let summarizer = [clean, drifted]
        .into_iter()
        .flat_map(Session::scored)
        .filter(|s| s.agent_name == seed::SUMMARIZER)
        .count();
    assert!(summarizer > 0);
    assert_eq!(frame.numbers("Spans"), [Some(summarizer as f64)]);

    let frame = panel_query(&dash, "Verdicts over time", "A", &ctx);
    let total: f64 = frame.numbers("Spans").into_iter().flatten().sum();
    let spans: usize = current.iter().map(|s| s.spans.len()).sum();
    assert_eq!(total as usize, spans);
}

#[test]
fn overview_ranks_the_drifted_session_first() {
    let db = seeded();
    let dash = dashboard(OVERVIEW);
    let ctx = context(&dash, None);
    let drifted = &db.reference.drifted;
    let clean = &db.reference.clean;
    assert!(drifted.min_alignment() < clean.min_alignment());
    assert!(drifted.count("violation") > 0 && clean.count("violation") == 0);

    let plain = &db.reference.plain;
    let lowest = panel_query(&dash, "Lowest alignment", "A", &ctx);
    assert_eq!(
        lowest.strings("SessionId"),
        [drifted.id.clone(), plain.id.clone(), clean.id.clone()]
    );
    let min = lowest.numbers("MinAlignment");
    assert!(close(min[0].unwrap(), f64::from(drifted.min_alignment())));
    assert!(close(min[1].unwrap(), f64::from(plain.min_alignment())));
    // The clean session's unscoped health check does not count as alignment 0.
    assert!(close(min[2].unwrap(), f64::from(clean.min_alignment())));
    assert!(min[2].unwrap() > 0.5, "{min:?}");
    assert_eq!(lowest.strings("Objective")[0], seed::ROOT_OBJECTIVE);
    assert_eq!(
        lowest.numbers("Violations"),
        [
            Some(drifted.count("violation") as f64),
            Some(0.0),
            Some(0.0)
        ]
    );
    // The plain agent never delegates.
    assert_eq!(
        lowest.numbers("MaxDepth"),
        [Some(2.0), Some(0.0), Some(2.0)]
    );
    // The plain agent declared nothing: its session is marked inferred.
    assert_eq!(
        lowest.strings("Intent"),
        ["declared", "inferred", "declared"]
    );

    let most = panel_query(&dash, "Most violations", "A", &ctx);
    assert_eq!(most.strings("SessionId"), [drifted.id.as_str()]);
    assert_eq!(
        most.numbers("Violations"),
        [Some(drifted.count("violation") as f64)]
    );
    assert_eq!(most.numbers("Thin"), [Some(drifted.count("thin") as f64)]);

    // $service narrows the sessions to those with a span of that service:
    // only the clean session has the health check's.
    let only = ctx
        .clone()
        .with("service", VarValue::multi(&[seed::PROBE_SERVICE]));
    let frame = panel_query(&dash, "Lowest alignment", "A", &only);
    assert_eq!(frame.strings("SessionId"), [clean.id.as_str()]);
}

#[test]
fn overview_shows_alignment_by_depth_and_by_agent() {
    let dash = dashboard(OVERVIEW);
    let ctx = context(&dash, None);
    let frame = panel_query(&dash, "Alignment by delegation depth", "A", &ctx);
    assert_eq!(frame.strings("Level"), ["depth 0", "depth 1", "depth 2"]);
    let db = seeded();
    let spans: Vec<_> = db
        .reference
        .current()
        .into_iter()
        .flat_map(Session::scored)
        .collect();
    for (row, mean) in frame.numbers("MeanAlignment").into_iter().enumerate() {
        let at_depth: Vec<f64> = spans
            .iter()
            .filter(|s| usize::from(s.depth) == row)
            .map(|s| f64::from(s.alignment))
            .collect();
        let expected = at_depth.iter().sum::<f64>() / at_depth.len() as f64;
        assert!(
            close(mean.unwrap(), expected),
            "depth {row}: {mean:?} vs {expected}"
        );
    }
    // The root's spans are the best aligned: the intent decays when handed down.
    let mean = frame.numbers("MeanAlignment");
    assert!(mean[0] > mean[1] && mean[0] > mean[2], "{mean:?}");
    assert_eq!(
        frame.get(0, "MeanCoverage"),
        Some(&Value::Null),
        "the root has no coverage"
    );
    assert!(frame.numbers("MeanCoverage")[1].unwrap() < 1.0);

    let frame = panel_query(&dash, "Alignment p50 and p5 by agent", "A", &ctx);
    let agents: BTreeSet<String> = frame.strings("AgentName").into_iter().collect();
    assert_eq!(
        agents,
        [
            seed::COORDINATOR,
            seed::QUERY_AGENT,
            seed::SUMMARIZER,
            seed::PLAIN_AGENT
        ]
        .map(String::from)
        .into()
    );
    for row in 0..frame.rows.len() {
        let p50 = engine::number(frame.get(row, "p50").unwrap()).unwrap();
        let p5 = engine::number(frame.get(row, "p5").unwrap()).unwrap();
        assert!(p5 <= p50 + 1e-6, "p5 {p5} above p50 {p50}");
    }
}

#[test]
fn node_graph_frames_carry_what_grafana_needs() {
    let db = seeded();
    let dash = dashboard(LINEAGE);
    for session in [&db.reference.clean, &db.reference.drifted] {
        let ctx = context(&dash, Some(&session.id));
        let nodes = panel_query(&dash, "Intent tree", "nodes", &ctx);
        let edges = panel_query(&dash, "Intent tree", "edges", &ctx);

        let ids = nodes.strings("id");
        assert_eq!(ids, session.intents.to_vec(), "root first, then by depth");
        assert_eq!(
            nodes.strings("title"),
            [seed::COORDINATOR, seed::QUERY_AGENT, seed::SUMMARIZER]
        );
        let arcs: Vec<&str> = nodes
            .names()
            .into_iter()
            .filter(|n| n.starts_with("arc__"))
            .collect();
        assert!(arcs.len() >= 4);
        for (row, id) in ids.iter().enumerate() {
            let sum: f64 = arcs
                .iter()
                .map(|a| engine::number(nodes.get(row, a).unwrap()).unwrap())
                .sum();
            assert!(
                close(sum, 1.0),
                "{}: arcs of {} sum to {sum}",
                session.id,
                *id
            );
            // mainstat is the mean alignment of the intent's spans.
            let spans: Vec<f32> = session
                .spans
                .iter()
                .filter(|s| s.intent_id == *id)
                .map(|s| s.alignment)
                .collect();
            assert!(!spans.is_empty(), "no span serves {id}");
            let mean = spans.iter().map(|a| f64::from(*a)).sum::<f64>() / spans.len() as f64;
            let mainstat = nodes.numbers("mainstat")[row].unwrap();
            assert!(
                (mainstat - mean).abs() < 0.006,
                "mainstat {mainstat} vs {mean}"
            );
            // Each verdict's arc is its share of the intent's spans.
            for verdict in ["aligned", "drifting", "thin", "violation"] {
                let share = session
                    .spans
                    .iter()
                    .filter(|s| s.intent_id == *id && s.verdict == verdict)
                    .count() as f64
                    / spans.len() as f64;
                let arc = nodes.numbers(&format!("arc__{verdict}"))[row].unwrap();
                assert!(close(arc, share), "{} {verdict}: {arc} vs {share}", *id);
            }
            // A node is highlighted when one of its spans broke a rule.
            let broke = session
                .spans
                .iter()
                .any(|s| s.intent_id == *id && s.verdict == "violation");
            assert_eq!(nodes.get(row, "highlighted"), Some(&Value::Bool(broke)));
        }

        let node_ids: BTreeSet<String> = ids.iter().cloned().collect();
        let edge_ids = edges.strings("id");
        assert_eq!(edge_ids.len(), 2);
        assert_eq!(
            edge_ids.iter().collect::<BTreeSet<_>>().len(),
            2,
            "edge ids unique"
        );
        assert_eq!(edges.strings("source"), session.intents[..2].to_vec());
        assert_eq!(edges.strings("target"), session.intents[1..].to_vec());
        for end in edges
            .strings("source")
            .into_iter()
            .chain(edges.strings("target"))
        {
            assert!(node_ids.contains(&end), "edge end {end} is not a node");
        }
        let coverage: Vec<Option<f64>> = session.intent_rows[1..]
            .iter()
            .map(|i| i.coverage.map(|c| (f64::from(c) * 100.0).round() / 100.0))
            .collect();
        assert_eq!(edges.numbers("mainstat"), coverage);
    }

    // The clean hand-offs lost nothing.
    let clean = context(&dash, Some(&db.reference.clean.id));
    let edges = panel_query(&dash, "Intent tree", "edges", &clean);
    assert_eq!(
        edges.strings("secondarystat"),
        ["nothing lost", "nothing lost"]
    );

    // In the drifted session the query agent and the summarizer broke rules,
    // and both hand-offs show what they lost: the query agent's redefines
    // inactive (it lost the definition), the summarizer's is a bare task (it
    // lost the constraints).
    let ctx = session_context(&dash);
    let nodes = panel_query(&dash, "Intent tree", "nodes", &ctx);
    assert_eq!(nodes.get(0, "highlighted"), Some(&Value::Bool(false)));
    assert_eq!(nodes.get(1, "highlighted"), Some(&Value::Bool(true)));
    assert_eq!(nodes.get(2, "highlighted"), Some(&Value::Bool(true)));
    let lost = nodes.strings("detail__lost");
    assert!(lost[1].contains("define inactive"), "{lost:?}");
    assert!(lost[2].contains("no writes"), "{lost:?}");
    assert!(lost[2].contains("no recommendations"), "{lost:?}");
    let edges = panel_query(&dash, "Intent tree", "edges", &ctx);
    assert_eq!(edges.strings("detail__lost"), lost[1..]);
    let coverage = edges.numbers("mainstat");
    assert!(coverage[0].unwrap() < 1.0, "{coverage:?}");
    assert!(coverage[1].unwrap() < 0.5, "{coverage:?}");
    let counts: Vec<String> = db.reference.drifted.intent_rows[1..]
        .iter()
        .map(|i| format!("{} lost", i.lost.len()))
        .collect();
    assert_eq!(edges.strings("secondarystat"), counts);
}

#[test]
fn session_view_shows_root_bullets_spans_in_order_and_traces() {
    let db = seeded();
    let drifted = &db.reference.drifted;
    let dash = dashboard(LINEAGE);
    let ctx = session_context(&dash);

    let bullets = panel_query(&dash, "Root intent", "A", &ctx);
    assert_eq!(
        bullets.strings("Bullet"),
        [
            "objective",
            "scope",
            "constraints",
            "guards",
            "digest",
            "source"
        ]
    );
    let text = bullets.strings("Text");
    assert_eq!(
        &text[..3],
        [
            seed::ROOT_OBJECTIVE,
            seed::ROOT_SCOPE,
            seed::ROOT_CONSTRAINTS
        ]
    );
    assert_eq!(text[3], seed::ROOT_GUARDS.join("; "));
    assert_eq!(text[4], "valid", "the reference declares its digest");
    assert_eq!(text[5], "declared");

    let stat = panel_query(&dash, "Session", "A", &ctx);
    assert_eq!(
        stat.numbers("Violations"),
        [Some(drifted.count("violation") as f64)]
    );
    assert_eq!(stat.numbers("Spans"), [Some(drifted.spans.len() as f64)]);
    assert_eq!(
        stat.numbers("NoContent"),
        [Some(0.0)],
        "the reference captures content"
    );
    assert!(close(
        stat.numbers("MinAlignment")[0].unwrap(),
        f64::from(drifted.min_alignment())
    ));

    let spans = panel_query(&dash, "Spans in time order", "A", &ctx);
    let stored: Vec<&str> = drifted.spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!(spans.strings("SpanId"), stored);
    let verdicts: Vec<&str> = drifted.spans.iter().map(|s| s.verdict.as_str()).collect();
    assert_eq!(spans.strings("Verdict"), verdicts);
    let times = spans.strings("Time");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "not in time order: {times:?}"
    );
    // The DELETE is listed with the rule it broke and why.
    let delete = spans
        .strings("Action")
        .iter()
        .position(|a| a == "DELETE")
        .expect("the DELETE span");
    assert_eq!(spans.strings("Verdict")[delete], "violation");
    assert!(spans.strings("Violations")[delete].starts_with("sql.write: DELETE customers"));
    assert!(spans.strings("Explanation")[delete].contains("sql.write"));

    // $agent filters the spans table.
    let only = ctx
        .clone()
        .with("agent", VarValue::multi(&[seed::QUERY_AGENT]));
    let frame = panel_query(&dash, "Spans in time order", "A", &only);
    assert!(
        frame
            .strings("Agent")
            .iter()
            .all(|a| a == seed::QUERY_AGENT)
    );
    let query_agent = drifted
        .spans
        .iter()
        .filter(|s| s.agent_name == seed::QUERY_AGENT)
        .count();
    assert!(query_agent > 0);
    assert_eq!(frame.rows.len(), query_agent);

    // The trace view repeats per trace: each repetition has one trace.
    assert_eq!(
        drifted.traces.len(),
        2,
        "the coordinator's and query agent's trace, then the summarizer's job"
    );
    for trace in &drifted.traces {
        let one = ctx.clone().with("trace", VarValue::single(trace));
        let frame = panel_query(&dash, "Trace $trace", "A", &one);
        let stored: Vec<&str> = drifted
            .spans
            .iter()
            .filter(|s| &s.trace_id == trace)
            .map(|s| s.span_id.as_str())
            .collect();
        assert_eq!(frame.strings("spanID"), stored);
        assert!(frame.strings("traceID").iter().all(|t| t == trace));
        let tags = frame.column("tags");
        assert!(
            tags.iter()
                .all(|t| t.to_string().contains("reshimu.verdict")),
            "scores in the span tags"
        );
        // Durations in ms, to the nanosecond (the recorded ones are not whole
        // milliseconds, and the engine's division may round the last bit
        // differently from Rust's).
        let durations: Vec<f64> = drifted
            .spans
            .iter()
            .filter(|s| &s.trace_id == trace)
            .map(|s| s.duration as f64 / 1e6)
            .collect();
        let got: Vec<f64> = frame
            .numbers("duration")
            .into_iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(got.len(), durations.len());
        for (got, want) in got.iter().zip(&durations) {
            assert!((got - want).abs() < 1e-7, "duration {got} vs {want} ms");
        }
        // startTime in milliseconds with the nanoseconds kept as decimals.
        let starts: Vec<f64> = frame
            .numbers("startTime")
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let mut stored_starts: Vec<f64> = drifted
            .spans
            .iter()
            .filter(|s| &s.trace_id == trace)
            .map(|s| s.timestamp as f64 / 1e6)
            .collect();
        stored_starts.sort_by(f64::total_cmp);
        for (got, want) in starts.iter().zip(&stored_starts) {
            assert!((got - want).abs() < 1e-3, "startTime {got} vs {want} ms");
        }
        // Span events as `logs`, span links as `references`, one per stored one.
        for (row, span_id) in frame.strings("spanID").iter().enumerate() {
            let span = drifted
                .spans
                .iter()
                .find(|s| &s.span_id == span_id)
                .unwrap();
            let logs = frame.get(row, "logs").unwrap().as_array().unwrap();
            assert_eq!(logs.len(), span.events_name.len(), "{span_id} events");
            for (log, name) in logs.iter().zip(&span.events_name) {
                assert_eq!(log["name"], Value::String(name.clone()), "{log}");
            }
            let references = frame.get(row, "references").unwrap().as_array().unwrap();
            assert_eq!(
                references.len(),
                span.links_trace_id.len(),
                "{span_id} links"
            );
            for (reference, linked) in references.iter().zip(&span.links_trace_id) {
                assert_eq!(
                    reference["traceID"],
                    Value::String(linked.clone()),
                    "{reference}"
                );
            }
        }
    }
    // The delegation that crosses traces shows up as a span link.
    let linked = drifted
        .spans
        .iter()
        .filter(|s| !s.links_trace_id.is_empty())
        .count();
    assert!(linked > 0, "the reference session links its traces");
}

#[test]
fn a_plainly_instrumented_session_shows_its_inferred_intent_and_its_model_call_without_content() {
    let db = seeded();
    let plain = &db.reference.plain;
    // What the collector made of it: an inferred root intent, and one model
    // call marked as carrying no content.
    assert!(!plain.spans.is_empty());
    assert!(
        plain
            .spans
            .iter()
            .all(|s| s.root_intent_id.starts_with("inferred-")),
        "{:#?}",
        plain.spans
    );
    let missing: Vec<_> = plain.spans.iter().filter(|s| s.content_missing).collect();
    assert_eq!(missing.len(), 1, "{:#?}", plain.spans);
    assert_eq!(missing[0].action_kind, "llm");
    assert_eq!(plain.intent_rows.len(), 1);
    assert_eq!(plain.intent_rows[0].source, "inferred");

    let dash = dashboard(LINEAGE);
    let ctx = context(&dash, Some(&plain.id));
    let bullets = panel_query(&dash, "Root intent", "A", &ctx);
    let text = bullets.strings("Text");
    assert_eq!(text[0], seed::PLAIN_REQUEST, "the first user message");
    assert!(text[5].starts_with("inferred"), "{text:?}");
    let stat = panel_query(&dash, "Session", "A", &ctx);
    assert_eq!(stat.numbers("NoContent"), [Some(1.0)]);

    // The overview counts the model calls without content, and lists the
    // session as inferred in both session tables.
    let dash = dashboard(OVERVIEW);
    let ctx = context(&dash, None);
    let stat = panel_query(&dash, "Model calls without content", "A", &ctx);
    let stored: usize = db
        .reference
        .current()
        .iter()
        .map(|s| s.spans.iter().filter(|r| r.content_missing).count())
        .sum();
    assert_eq!(stored, 1);
    assert_eq!(stat.numbers("Calls"), [Some(stored as f64)]);
    assert_eq!(stat.numbers("Sessions"), [Some(1.0)]);
    let clean = ctx
        .clone()
        .with("session", VarValue::multi(&[&db.reference.clean.id]));
    let none = panel_query(&dash, "Model calls without content", "A", &clean);
    assert_eq!(none.numbers("Calls"), [Some(0.0)]);
    let lowest = panel_query(&dash, "Lowest alignment", "A", &ctx);
    let row = lowest
        .strings("SessionId")
        .iter()
        .position(|s| *s == plain.id)
        .unwrap();
    assert_eq!(lowest.strings("Intent")[row], "inferred");

    // The violations dashboard says where: session, service, instrumentation, model.
    let dash = dashboard(VIOLATIONS);
    let ctx = context(&dash, None);
    let table = panel_query(&dash, "Model calls without content", "A", &ctx);
    assert_eq!(table.strings("SessionId"), [plain.id.as_str()]);
    assert_eq!(table.strings("Service"), [seed::PLAIN_AGENT]);
    assert_eq!(table.strings("Agent"), [seed::PLAIN_AGENT]);
    assert_eq!(table.strings("Instrumentation"), [seed::PLAIN_MODEL_SCOPE]);
    assert_eq!(table.strings("Model"), [missing[0].action_name.as_str()]);
    assert_eq!(table.numbers("Calls"), [Some(1.0)]);
    let clean = ctx
        .clone()
        .with("session", VarValue::multi(&[&db.reference.clean.id]));
    assert!(
        panel_query(&dash, "Model calls without content", "A", &clean)
            .rows
            .is_empty()
    );
}

/// A stored violation split as the dashboards split it: `rule: evidence`.
fn rule_and_evidence(violation: &str) -> (String, String) {
    match violation.split_once(": ") {
        Some((rule, evidence)) => (rule.to_owned(), evidence.to_owned()),
        None => (violation.to_owned(), String::new()),
    }
}

#[test]
fn violations_dashboard_lists_rule_evidence_agent_and_action() {
    let db = seeded();
    let drifted = &db.reference.drifted;
    let dash = dashboard(VIOLATIONS);
    let ctx = context(&dash, None);

    let table = panel_query(&dash, "Violations", "A", &ctx);
    assert!(table.strings("SessionId").iter().all(|s| *s == drifted.id));
    let mut rows: Vec<(String, String, String, String)> = (0..table.rows.len())
        .map(|r| {
            let get = |c: &str| engine::text(table.get(r, c).unwrap());
            (get("Rule"), get("Agent"), get("Action"), get("Evidence"))
        })
        .collect();
    rows.sort();
    let mut stored: Vec<(String, String, String, String)> = drifted
        .spans
        .iter()
        .flat_map(|s| {
            s.violations.iter().map(|v| {
                let (rule, evidence) = rule_and_evidence(v);
                (rule, s.agent_name.clone(), s.action_name.clone(), evidence)
            })
        })
        .collect();
    stored.sort();
    assert_eq!(rows, stored);
    // Each drift of the reference is there, with the agent and action that
    // caused it and its evidence.
    let find = |rule: &str| {
        rows.iter()
            .find(|r| r.0 == rule)
            .unwrap_or_else(|| panic!("no {rule} in {rows:#?}"))
    };
    let delete = find("sql.write");
    assert_eq!(
        (delete.1.as_str(), delete.2.as_str()),
        (seed::QUERY_AGENT, "DELETE")
    );
    assert!(delete.3.contains("DELETE customers"), "{delete:?}");
    // The summarizer obeys the note and emails the list (its tool call).
    let email = find("message.send");
    assert_eq!(
        (email.1.as_str(), email.2.as_str()),
        (seed::SUMMARIZER, "send_email")
    );
    assert!(email.3.contains("send_email"), "{email:?}");
    // The query agent's SQLite query uses the redefined 30 days.
    let thirty_days = find("define.inactive");
    assert_eq!(thirty_days.1, seed::QUERY_AGENT);
    assert!(thirty_days.3.contains("30 days"), "{thirty_days:?}");
    let recommends = find("constraint.recommend");
    assert_eq!(recommends.1, seed::SUMMARIZER);
    assert!(recommends.3.contains("We recommend"), "{recommends:?}");
    assert!(
        table
            .strings("Explanation")
            .iter()
            .all(|e| e.starts_with("Violates "))
    );

    let by_rule = panel_query(&dash, "Violations by rule", "A", &ctx);
    let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
    for (rule, ..) in &stored {
        *counts.entry(rule.as_str()).or_default() += 1.0;
    }
    let mut expected: Vec<(&str, f64)> = counts.into_iter().collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let rules = by_rule.strings("Rule");
    let got: Vec<(&str, f64)> = rules
        .iter()
        .map(String::as_str)
        .zip(
            by_rule
                .numbers("Violations")
                .into_iter()
                .map(Option::unwrap),
        )
        .collect();
    assert_eq!(got, expected, "most broken rule first");

    let stat = panel_query(&dash, "Broken rules", "A", &ctx);
    let agents: BTreeSet<&str> = stored.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(stat.numbers("Violations"), [Some(stored.len() as f64)]);
    assert_eq!(stat.numbers("Sessions"), [Some(1.0)]);
    assert_eq!(stat.numbers("Agents"), [Some(agents.len() as f64)]);

    // Selecting the clean session empties the table.
    let clean = ctx
        .clone()
        .with("session", VarValue::multi(&[&db.reference.clean.id]));
    assert!(
        panel_query(&dash, "Violations", "A", &clean)
            .rows
            .is_empty()
    );
}

#[test]
fn thin_delegations_show_what_each_contraction_lost() {
    let db = seeded();
    let drifted = &db.reference.drifted;
    let dash = dashboard(VIOLATIONS);
    let ctx = context(&dash, None);
    let frame = panel_query(
        &dash,
        "Thin delegations: what each contraction lost from its root",
        "A",
        &ctx,
    );
    // Both drifted hand-offs lost something, the clean ones nothing. Thinnest
    // first: the bare task the query agent handed the summarizer (it lost the
    // constraints), then the coordinator's hand-off to the query agent, which
    // redefines inactive (it lost the definition).
    assert!(
        db.reference
            .clean
            .intent_rows
            .iter()
            .all(|i| i.lost.is_empty())
    );
    let mut thin: Vec<_> = drifted.intent_rows[1..].iter().collect();
    thin.sort_by(|a, b| a.coverage.partial_cmp(&b.coverage).unwrap());
    assert!(thin.iter().all(|i| !i.lost.is_empty()), "{thin:#?}");
    assert_eq!(frame.strings("SessionId"), [drifted.id.as_str(); 2]);
    assert_eq!(
        frame.strings("Delegate"),
        [seed::SUMMARIZER, seed::QUERY_AGENT]
    );
    assert_eq!(
        frame.strings("DelegatedBy"),
        [seed::QUERY_AGENT, seed::COORDINATOR],
        "the chain: the query agent delegates to the summarizer"
    );
    assert_eq!(frame.strings("Verdict"), ["thin", "thin"]);
    let lost = frame.strings("Lost");
    let stored: Vec<String> = thin.iter().map(|i| i.lost.join("; ")).collect();
    assert_eq!(lost, stored);
    for item in ["no writes", "no recommendations", "read access"] {
        assert!(lost[0].contains(item), "{item} missing from {}", lost[0]);
    }
    assert!(lost[1].contains("define inactive"), "{}", lost[1]);
    let tasks: Vec<&str> = thin.iter().map(|i| i.objective.as_str()).collect();
    assert_eq!(frame.strings("Task"), tasks);
    assert_eq!(frame.strings("RootObjective"), [seed::ROOT_OBJECTIVE; 2]);
    let explanations = frame.strings("Explanation");
    assert!(explanations[0].contains("lost"), "{explanations:?}");
    assert!(explanations[1].contains("inactive"), "{explanations:?}");
    let coverage = frame.numbers("Coverage");
    assert!(coverage[0].unwrap() < 0.5, "{coverage:?}");
    assert!(coverage[0] <= coverage[1], "{coverage:?}");

    let spans = panel_query(&dash, "Thin and drifting spans", "A", &ctx);
    let verdicts: BTreeSet<String> = spans.strings("Verdict").into_iter().collect();
    let stored: BTreeSet<String> = drifted
        .spans
        .iter()
        .chain(&db.reference.clean.spans)
        .filter(|s| s.verdict == "thin" || s.verdict == "drifting")
        .map(|s| s.verdict.clone())
        .collect();
    assert!(verdicts.contains("thin"));
    assert_eq!(verdicts, stored);
    assert!(spans.strings("SessionId").iter().all(|s| *s == drifted.id));
}

// ------------------------------------------------------------------ README queries

/// The ```sql blocks of dashboards/README.md, pointed at the seeded database.
fn readme_queries() -> Vec<String> {
    let readme = load::read(&load::dashboards_dir().join("README.md")).unwrap();
    let db = &seeded().database;
    let mut queries = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```sql\n") {
        let body = &rest[start + 7..];
        let end = body.find("```").unwrap();
        let mut sql = body[..end].to_owned();
        for table in ["spans", "intents", "sessions"] {
            sql = sql.replace(&format!("reshimu.{table}"), &format!("{db}.{table}"));
        }
        // The read-only user's statements are checked on their own.
        if sql.trim_start().starts_with("SELECT") {
            queries.push(sql.trim().trim_end_matches(';').to_owned());
        }
        rest = &body[end + 3..];
    }
    queries
}

#[test]
fn readme_queries_answer_the_three_questions() {
    let db = seeded();
    let (clean, drifted) = (&db.reference.clean, &db.reference.drifted);
    let queries = readme_queries();
    assert_eq!(queries.len(), 3, "three SQL examples in the README");

    // Sessions whose alignment fell below 0.5 today.
    let below = run(&queries[0]);
    assert_eq!(below.strings("SessionId"), [drifted.id.as_str()]);
    assert!(close(
        below.numbers("MinAlignment")[0].unwrap(),
        f64::from(drifted.min_alignment())
    ));
    assert!(below.numbers("Violations")[0].unwrap() > 0.0);

    // Which agent drifts most: the query agent, whose share of off-course
    // spans is the one stored.
    let agents = run(&queries[1]);
    assert_eq!(agents.strings("AgentName")[0], seed::QUERY_AGENT);
    let query_agent: Vec<_> = [clean, drifted]
        .into_iter()
        .flat_map(Session::scored)
        .filter(|s| s.agent_name == seed::QUERY_AGENT)
        .collect();
    let off = query_agent
        .iter()
        .filter(|s| ["drifting", "thin", "violation"].contains(&s.verdict.as_str()))
        .count();
    let share = (off as f64 / query_agent.len() as f64 * 1000.0).round() / 1000.0;
    assert!(close(agents.numbers("OffCourseShare")[0].unwrap(), share));

    // What thin delegations lost: both drifted hand-offs, thinnest first
    // (the summarizer's bare task, then the query agent's redefinition).
    let lost = run(&queries[2]);
    assert_eq!(
        lost.strings("Delegate"),
        [seed::SUMMARIZER, seed::QUERY_AGENT]
    );
    for (row, intent) in [(0, &drifted.intent_rows[2]), (1, &drifted.intent_rows[1])] {
        let stored = engine::text(lost.get(row, "Lost").unwrap());
        assert!(!intent.lost.is_empty());
        for item in &intent.lost {
            assert!(
                stored.contains(item.as_str()),
                "{item} missing from {stored}"
            );
        }
    }
    assert_eq!(lost.strings("SessionId"), [drifted.id.as_str(); 2]);
}
