//! The `reshimu-collector` command line.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reshimu-collector: {}", cli::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
