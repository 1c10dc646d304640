//! Progress on stderr for long offline work: one bar per phase (reading,
//! scoring, writing), shown only when stderr is a terminal so that pipes and
//! logs get nothing but the requested output.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The phases of one run, drawn on stderr when it is a terminal.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Progress on stderr if it is a terminal, else nothing at all.
    pub fn on_stderr() -> Progress {
        Progress {
            bar: std::io::stderr().is_terminal().then(ProgressBar::hidden),
        }
    }

    /// Starts a counted phase: `{bar} pos/len unit {msg}`.
    pub fn phase(&mut self, label: &str, len: u64, unit: &str) {
        let Some(bar) = &self.bar else { return };
        let template =
            format!("{label:<8} {{bar:40}} {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.disable_steady_tick();
        bar.set_length(len);
        bar.set_position(0);
        bar.set_message("");
    }

    /// Starts a phase that cannot be counted (one call that does all the
    /// work): a spinner with `message` and the elapsed time.
    pub fn spinner(&mut self, label: &str, message: String) {
        let Some(bar) = &self.bar else { return };
        let template = format!("{label:<8} {{spinner}} {{msg}} ({{elapsed}})");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
    }

    /// Advances the counted phase by `n`, naming what was just done.
    pub fn advance(&self, n: u64, what: &str) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            bar.set_message(what.to_owned());
        }
    }

    /// Removes the bar so the output that follows starts on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
