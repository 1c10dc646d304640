//! The README's Rust snippet is `examples/instrument_agent.rs`, which the
//! tests compile: no undefined names, no guessing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

#[test]
fn the_readme_shows_the_compiled_example() {
    let example = read("examples/instrument_agent.rs");
    let code: String = example
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = read("../README.md");
    let block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```rust block in the README");
    assert_eq!(
        block, code,
        "README.md's Rust snippet differs from examples/instrument_agent.rs"
    );
    // The dependency line the README gives is this crate's name.
    assert!(
        readme.contains("reshimu-exporter = { path = "),
        "Cargo.toml line"
    );
}
