//! How the human report looks where it is printed: colour on or off, the width text wraps
//! to, and whether it is the compact `--summary` form. Decided once by the CLI
//! (`--color`, `NO_COLOR`, `COLUMNS`, whether stdout is a terminal) and handed to the
//! renderer, which never looks at the environment itself.

use crate::vocab::{Outcome, Severity};
use anstyle::{AnsiColor, Effects, Style as Ansi};

/// `--color`: when the human report is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Coloured when writing to a terminal and `NO_COLOR` is unset (or empty), and `TERM`
    /// is not `dumb`.
    #[default]
    Auto,
    /// Always coloured (also into a file or pipe, and despite `NO_COLOR`).
    Always,
    /// Never coloured.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the output is a terminal and the environment's
    /// `NO_COLOR` and `TERM` (passed in, so the decision can be tested).
    pub fn colors(self, to_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // no-color.org: set and not empty disables colour.
            ColorChoice::Auto => {
                to_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
            }
        }
    }
}

/// Columns when neither `COLUMNS` nor the terminal says: the report's long-standing width.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrowest width wrapped to: below it, wrapped lines would be mostly indent.
pub const MIN_WIDTH: usize = 40;
/// Widest: very long lines are harder to read, not easier.
pub const MAX_WIDTH: usize = 200;

/// The width to wrap to: `COLUMNS` when it is a number, else the terminal's width when the
/// output is one, else [`DEFAULT_WIDTH`]; clamped to [`MIN_WIDTH`]..=[`MAX_WIDTH`].
pub fn width(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal)
        .unwrap_or(DEFAULT_WIDTH)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

/// The human report's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Severity and outcome in colour (ANSI SGR sequences).
    pub color: bool,
    /// Columns that wrapped text fits in.
    pub width: usize,
    /// The compact form: the summary line and one line per issue, no run details.
    pub summary: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: DEFAULT_WIDTH,
            summary: false,
        }
    }
}

impl Style {
    /// `text` painted with `style` when colour is on.
    fn paint(&self, style: Ansi, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// `text` in the colour of severity `s`: what blocks work stands out, noise recedes.
    pub fn severity(&self, s: Severity, text: &str) -> String {
        let style = match s {
            Severity::Critical => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Severity::High => AnsiColor::Red.on_default(),
            Severity::Medium => AnsiColor::Yellow.on_default(),
            Severity::Low => AnsiColor::Cyan.on_default(),
            Severity::Info => Ansi::new().effects(Effects::DIMMED),
        };
        self.paint(style, text)
    }

    /// `text` in the colour of outcome `o`; `flagged` is a completed run that carries a high
    /// or critical signature, shown as a warning rather than as plain success.
    pub fn outcome(&self, o: Outcome, flagged: bool, text: &str) -> String {
        let style = match o {
            Outcome::Ok if flagged => AnsiColor::Yellow.on_default(),
            Outcome::Ok => AnsiColor::Green.on_default(),
            Outcome::Failed => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Outcome::Stalled => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
            Outcome::Cancelled => Ansi::new().effects(Effects::DIMMED),
            Outcome::InProgress => AnsiColor::Blue.on_default(),
        };
        self.paint(style, text)
    }

    /// A heading (`Issues (3):`) in bold.
    pub fn heading(&self, text: &str) -> String {
        self.paint(Ansi::new().effects(Effects::BOLD), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(ColorChoice::Auto.colors(true, None, Some("xterm-256color")));
        assert!(ColorChoice::Auto.colors(true, Some(""), None));
        assert!(!ColorChoice::Auto.colors(true, Some("1"), None));
        assert!(!ColorChoice::Auto.colors(false, None, None));
        assert!(!ColorChoice::Auto.colors(true, None, Some("dumb")));
        assert!(ColorChoice::Always.colors(false, Some("1"), Some("dumb")));
        assert!(!ColorChoice::Never.colors(true, None, None));
    }

    #[test]
    fn width_prefers_columns_then_the_terminal_and_is_clamped() {
        assert_eq!(width(Some("132"), Some(80)), 132);
        assert_eq!(width(Some("junk"), Some(80)), 80);
        assert_eq!(width(None, None), DEFAULT_WIDTH);
        assert_eq!(width(Some("10"), None), MIN_WIDTH);
        assert_eq!(width(Some("900"), None), MAX_WIDTH);
        assert_eq!(width(Some("0"), Some(70)), 70);
    }

    #[test]
    fn paint_is_plain_without_colour_and_sgr_with_it() {
        let plain = Style::default();
        assert_eq!(plain.severity(Severity::High, "high"), "high");
        let c = Style {
            color: true,
            ..Style::default()
        };
        let s = c.outcome(Outcome::Failed, false, "failed");
        assert!(s.starts_with("\x1b[") && s.ends_with("\x1b[0m") && s.contains("failed"));
    }
}
