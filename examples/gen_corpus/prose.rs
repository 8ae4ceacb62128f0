//! Text of the prose style (`--style prose`): plain English sentences and shell commands,
//! ASCII only, no code blocks, identifiers in backticks or diffs.
//!
//! This is the text on which ripgrep is at its fastest (its lazy DFA never meets a non-ASCII
//! byte and the automaton stays small), so it is the honest yardstick for triage's own cost.
//! Paths and commands come from `text.rs` like in the realistic style; the failure scenarios
//! in `job/failure.rs` write the same catalog texts into both styles.

use std::fmt::Write as _;

use crate::text::Ctx;

const SUBJECTS: &[&str] = &[
    "the nightly build",
    "the login page",
    "the deploy script",
    "the test suite",
    "the search index",
    "the billing report",
    "the upload form",
    "the release branch",
    "the staging server",
    "the import job",
    "the settings page",
    "the cache layer",
    "the mobile app",
    "the sign up flow",
    "the export task",
    "the error page",
    "the help text",
    "the config file",
    "the backup job",
    "the status page",
    "the payment screen",
    "the email digest",
    "the audit log",
    "the weekly report",
    "the admin panel",
    "the data migration",
    "the retry logic",
    "the install guide",
    "the order history",
    "the user profile page",
];

const PROBLEMS: &[&str] = &[
    "fails about once a week",
    "slowed down after the last release",
    "stopped sending the summary",
    "shows the wrong totals",
    "times out on large accounts",
    "hangs when the network drops",
    "skips the last page of results",
    "double counts refunded orders",
    "loses the draft when the tab closes",
    "reports success even when nothing was saved",
    "breaks when the time zone changes",
    "ignores the new setting",
    "keeps an old copy of the data",
    "runs twice after a restart",
    "writes the file to the wrong folder",
];

const CAUSES: &[&str] = &[
    "the cache is never cleared after an update",
    "two workers pick up the same item",
    "the date is compared as plain text",
    "the limit is read before the config is loaded",
    "the error is caught and thrown away",
    "the old folder name is still used in one place",
    "the request retries without waiting",
    "a missing value is treated as zero",
    "the list is sorted after it is cut",
    "the lock is held while waiting on the network",
    "the test data only has one account",
    "the default changed in the last version",
];

const ACTIONS: &[&str] = &[
    "add a test for the empty case",
    "move the check before the loop",
    "clear the cache after each update",
    "read the setting once at startup",
    "log the error instead of hiding it",
    "keep the old behaviour behind a flag",
    "wait a little longer between retries",
    "split the change into two smaller steps",
    "ask the team which result is expected",
    "update the guide to match the new steps",
    "run the full suite on a clean checkout",
    "compare the output with last week",
];

const PLACES: &[&str] = &[
    "in production",
    "on the staging server",
    "on a fresh checkout",
    "in the nightly run",
    "on Windows machines",
    "on the oldest supported version",
    "for new users",
    "under heavy load",
    "after a restart",
    "only on the first run",
];

const TITLES: &[&str] = &[
    "Reproducing the problem",
    "Reading the setup notes",
    "Checking the recent changes",
    "Looking at the test results",
    "Planning the fix",
    "Verifying the change",
    "Narrowing down the cause",
    "Comparing the two versions",
    "Reviewing the diff",
    "Summarizing what I found",
    "Checking the build settings",
    "Estimating the impact",
];

const HEADINGS: &[&str] = &[
    "What changed:",
    "Root cause:",
    "Findings:",
    "Next steps:",
    "How I checked it:",
    "Notes:",
    "Open questions:",
];

impl Ctx<'_> {
    /// One plain English sentence.
    pub fn prose_sentence(&mut self) -> String {
        let subj = self.rng.pk(SUBJECTS);
        let other = self.rng.pk(SUBJECTS);
        let problem = self.rng.pk(PROBLEMS);
        let cause = self.rng.pk(CAUSES);
        let action = self.rng.pk(ACTIONS);
        let place = self.rng.pk(PLACES);
        let k = self.rng.range(2, 250);
        match self.rng.below(20) {
            0 => format!("{} {problem} {place}.", cap(subj)),
            1 => format!("I traced it to {subj}, where {cause}."),
            2 => format!("The problem only shows up {place}, because {cause}."),
            3 => format!(
                "Running the tests again shows {k} passing and {} failing checks.",
                k % 7 + 1
            ),
            4 => format!("There is no test that covers what happens when {cause}."),
            5 => format!("I did not change {subj}, since it works as intended {place}."),
            6 => format!(
                "The next step is to {action} and then {}.",
                self.rng.pk(ACTIONS)
            ),
            7 => format!("After the change, {subj} no longer {problem}."),
            8 => format!("It looks like {subj} was written before {other} existed."),
            9 => format!("I read the last {k} lines of the log and nothing else stands out."),
            10 => format!("The simplest fix is to {action}."),
            11 => format!("This matches what the user reported: {subj} {problem}."),
            12 => format!("I could not reproduce it locally; it seems to need {place}."),
            13 => format!("Both {subj} and {other} depend on the same setting."),
            14 => format!("The change is small and only touches {subj}."),
            15 => format!("I would {action} before we ship this."),
            16 => format!("The logs show that {cause}."),
            17 => format!("{} and {other} disagree about the limit.", cap(subj)),
            18 => format!("About {k} records are affected, all of them created {place}."),
            _ => format!("I left a note for the team because {cause}."),
        }
    }

    /// `Title: sentences`, one section of a reasoning summary.
    pub fn prose_reasoning_section(&mut self) -> String {
        let title = self.rng.pk(TITLES);
        let body = self.paragraph(1, 2);
        format!("{title}: {body}")
    }

    /// A message of paragraphs, lists and commands of about `target_len` bytes.
    pub fn prose_message(&mut self, target_len: usize) -> String {
        let mut out = self.paragraph(1, 4);
        while out.len() < target_len {
            out.push_str("\n\n");
            match self.rng.below(6) {
                0 | 1 => out.push_str(&self.paragraph(2, 5)),
                2 => {
                    let _ = write!(out, "{}\n\n", self.rng.pk(HEADINGS));
                    out.push_str(&self.paragraph(1, 3));
                }
                3 | 4 => {
                    let k = 2 + self.rng.below(5);
                    for i in 0..k {
                        if i > 0 {
                            out.push('\n');
                        }
                        let _ = write!(out, "- {}", self.prose_sentence());
                    }
                }
                _ => {
                    out.push_str("I ran these commands:\n");
                    for _ in 0..2 + self.rng.below(4) {
                        let cmd = if self.rng.chance(0.6) {
                            self.read_cmd()
                        } else {
                            self.test_cmd()
                        };
                        let _ = write!(out, "\n    {cmd}");
                    }
                }
            }
        }
        out
    }

    /// A user's request.
    pub fn prose_prompt(&mut self) -> String {
        let subj = self.rng.pk(SUBJECTS);
        let problem = self.rng.pk(PROBLEMS);
        let place = self.rng.pk(PLACES);
        let base = match self.rng.below(8) {
            0 => format!("find out why {subj} {problem}"),
            1 => format!("{subj} {problem} {place}, please fix it"),
            2 => format!("explain how {subj} works"),
            3 => format!("review my changes to {subj} before I open the pull request"),
            4 => "summarize what this repository does".to_string(),
            5 => format!("write tests for {subj}"),
            6 => format!("check whether {subj} is safe to release {place}"),
            _ => format!("clean up {subj} and update the notes"),
        };
        if self.rng.chance(0.35) {
            let extra = self.paragraph(1, 3);
            format!("{base}. {extra}")
        } else {
            base
        }
    }

    /// The stdout of a native review: a summary and `[P<n>]` comments.
    pub fn prose_review(&mut self) -> String {
        let mut out = self.paragraph(1, 3);
        if self.rng.chance(0.25) {
            return out;
        }
        out.push_str("\n\nFull review comments:\n");
        for _ in 0..1 + self.rng.below(6) {
            let p = self.rng.range(0, 3);
            let f = self.file();
            let l = self.rng.range(1, 600);
            let title = cap(self.rng.pk(ACTIONS));
            let body = self.paragraph(1, 3);
            let _ = write!(
                out,
                "\n- [P{p}] {title} - {f}:{l}-{}\n  {body}\n",
                l + self.rng.range(0, 20)
            );
        }
        out
    }
}

/// First letter in upper case.
fn cap(x: &str) -> String {
    let mut c = x.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
