//! Structural conditions of a rule (`[match.states.NAME]` and `[when]`): facts of a run that
//! every key given must match, such as `status = ["running"]` or `completed_at = "absent"`.
//!
//! **Every fact is written once**, in the `facts!` table at the bottom of this file: one
//! line names the rule-file key, the typed condition a rule writes there and the fact of a
//! run it is checked against. From that line come the field of [`State`] (what a rule file
//! may say, deserialized into the real vocabulary types, so an unknown value is a load error
//! naming the rule file), the field of [`RunFacts`] (what a run offers) and its term in
//! [`State::holds`]. Adding a fact is that one line plus the code that reads it from a run
//! (`classify::facts`; for rule self-tests, `model::TestJob` and `src/testjob.rs`).

use crate::timefmt::{Millis, parse_duration};
use crate::vocab::{Kind, Outcome, StateRoot, Status, Word};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How one condition is checked against the fact of a run it names.
pub trait Check<F: ?Sized> {
    /// Whether `fact` satisfies the condition.
    fn check(&self, fact: &F) -> bool;
}

/// A value a rule file may list: a word of the vocabulary (only its known spellings) or any
/// text (`phase`, `title`, which the plugin writes freely).
pub trait RuleValue: Sized {
    /// Parses the rule file's spelling, or says what is allowed.
    fn from_rule(s: &str) -> Result<Self, String>;
    /// The rule file's spelling.
    fn to_rule(&self) -> &str;
}

impl<W: Word> RuleValue for W {
    fn from_rule(s: &str) -> Result<W, String> {
        W::known(s).ok_or_else(|| format!("`{s}` is not one of {}", W::known_list()))
    }
    fn to_rule(&self) -> &str {
        self.word()
    }
}

/// Free text: any string is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl RuleValue for Text {
    fn from_rule(s: &str) -> Result<Text, String> {
        Ok(Text(s.to_string()))
    }
    fn to_rule(&self) -> &str {
        &self.0
    }
}

/// `key = [a, b]`: the fact is one of the listed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyOf<T>(pub Vec<T>);

impl<'de, T: RuleValue> Deserialize<'de> for AnyOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let words = Vec::<String>::deserialize(d)?;
        words
            .iter()
            .map(|w| T::from_rule(w))
            .collect::<Result<Vec<T>, String>>()
            .map(AnyOf)
            .map_err(serde::de::Error::custom)
    }
}

impl<T: RuleValue> Serialize for AnyOf<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| v.to_rule()))
    }
}

/// A fact every run has (`outcome`, `state_root`).
impl<T: PartialEq + Copy> Check<T> for AnyOf<T> {
    fn check(&self, fact: &T) -> bool {
        self.0.contains(fact)
    }
}

/// A fact the records may lack (`status`, `kind`): a missing one matches no list.
impl<T: PartialEq> Check<Option<&T>> for AnyOf<T> {
    fn check(&self, fact: &Option<&T>) -> bool {
        fact.is_some_and(|f| self.0.contains(f))
    }
}

impl Check<Option<&str>> for AnyOf<Text> {
    fn check(&self, fact: &Option<&str>) -> bool {
        fact.is_some_and(|f| self.0.iter().any(|w| w.0 == f))
    }
}

/// `"present"` or `"absent"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// The field is set.
    Present,
    /// The field is missing or null.
    Absent,
}

impl Check<bool> for Presence {
    fn check(&self, set: &bool) -> bool {
        *set == (*self == Presence::Present)
    }
}

/// `key = true|false` on a fact every run has.
impl Check<bool> for bool {
    fn check(&self, fact: &bool) -> bool {
        self == fact
    }
}

/// `key = true|false` on a fact only some records carry: an unrecorded one matches neither.
impl Check<Option<bool>> for bool {
    fn check(&self, fact: &Option<bool>) -> bool {
        *fact == Some(*self)
    }
}

/// `idle_for = "5m"`: at least this long since the run's last activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtLeast {
    /// As written (kept for `rules show`).
    pub text: String,
    /// In milliseconds.
    pub millis: Millis,
}

impl<'de> Deserialize<'de> for AtLeast {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let millis = parse_duration(&text).map_err(serde::de::Error::custom)?;
        Ok(AtLeast { text, millis })
    }
}

impl Serialize for AtLeast {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// An unknown time matches no minimum.
impl Check<Option<Millis>> for AtLeast {
    fn check(&self, fact: &Option<Millis>) -> bool {
        fact.is_some_and(|f| f >= self.millis)
    }
}

/// Declares every structural fact once: `key: Condition => Fact`, with its doc comment.
macro_rules! facts {
    (<$lt:lifetime> $( $(#[doc = $doc:literal])+ $key:ident : $cond:ty => $fact:ty ;)+) => {
        /// Structural conditions on a run (`[match.states.NAME]`, `[when]`); every key given
        /// must hold. Unknown keys and unknown values are load errors.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct State {
            $(
                $(#[doc = $doc])+
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $key: Option<$cond>,
            )+
        }

        /// The facts of one run that [`State`]s are checked against (`classify::facts`
        /// fills them in).
        #[derive(Debug, Clone)]
        pub struct RunFacts<$lt> {
            $( $(#[doc = $doc])+ pub $key: $fact, )+
        }

        impl State {
            /// Whether every key given holds for `f`.
            pub fn holds(&self, f: &RunFacts<'_>) -> bool {
                $( self.$key.as_ref().is_none_or(|c| c.check(&f.$key)) )&&+
            }
        }
    };
}

facts! { <'a>
    /// The plugin's `status`, any of.
    status: AnyOf<Status> => Option<&'a Status>;
    /// The plugin's `phase`, any of.
    phase: AnyOf<Text> => Option<&'a str>;
    /// The job `kind`, any of.
    kind: AnyOf<Kind> => Option<&'a Kind>;
    /// The job `title`, any of.
    title: AnyOf<Text> => Option<&'a str>;
    /// Triage's outcome, any of.
    outcome: AnyOf<Outcome> => Outcome;
    /// `completedAt` present or absent.
    completed_at: Presence => bool;
    /// `errorMessage` present or absent.
    error_message: Presence => bool;
    /// Time since the run's last activity, at least.
    idle_for: AtLeast => Option<Millis>;
    /// The layout the records were found in, any of.
    state_root: AnyOf<StateRoot> => StateRoot;
    /// The workspace's jobs split across state roots.
    workspace_split: bool => bool;
    /// The record's `write` flag (a task allowed to edit files), when recorded.
    write: bool => Option<bool>;
    /// The index's `config.stopReviewGate`, when recorded.
    stop_review_gate: bool => Option<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RunFacts<'static> {
        RunFacts {
            status: None,
            phase: None,
            kind: None,
            title: None,
            outcome: Outcome::Ok,
            completed_at: false,
            error_message: false,
            idle_for: None,
            state_root: StateRoot::PluginData,
            workspace_split: false,
            write: None,
            stop_review_gate: None,
        }
    }

    #[test]
    fn write_and_stop_gate_are_state_facts() {
        let st: State = toml::from_str("write = true\nstop_review_gate = false").unwrap();
        let mut f = facts();
        assert!(!st.holds(&f), "unrecorded facts match neither value");
        f.write = Some(true);
        f.stop_review_gate = Some(false);
        assert!(st.holds(&f));
        f.stop_review_gate = Some(true);
        assert!(!st.holds(&f));
    }

    #[test]
    fn typed_values_check_against_the_vocabulary() {
        let st: State = toml::from_str(
            r#"status = ["running", "queued"]
               outcome = ["stalled"]
               completed_at = "absent"
               idle_for = "5m"
               phase = ["reviewing"]"#,
        )
        .unwrap();
        let running = Status::Running;
        let mut f = facts();
        f.status = Some(&running);
        f.outcome = Outcome::Stalled;
        f.phase = Some("reviewing");
        f.idle_for = Some(5 * 60_000);
        assert!(st.holds(&f));
        f.idle_for = Some(5 * 60_000 - 1);
        assert!(!st.holds(&f), "idle_for is a minimum");
        f.idle_for = Some(10 * 60_000);
        f.completed_at = true;
        assert!(!st.holds(&f), "completedAt must be absent");
        f.completed_at = false;
        let other = Status::Other("running2".into());
        f.status = Some(&other);
        assert!(!st.holds(&f));
        f.status = None;
        assert!(!st.holds(&f), "a missing status matches no list");
    }

    #[test]
    fn unknown_values_and_keys_are_errors_naming_the_value() {
        let err = toml::from_str::<State>(r#"status = ["runing"]"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`runing` is not one of queued, running"),
            "{err}"
        );
        let err = toml::from_str::<State>(r#"state_root = ["tmp"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`tmp` is not one of plugin-data"), "{err}");
        let err = toml::from_str::<State>(r#"idle_for = "5 parsecs""#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("5 parsecs"), "{err}");
        let err = toml::from_str::<State>("colour = true")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn serializes_as_written() {
        let text = r#"status = ["running"]
kind = ["adversarial-review"]
idle_for = "2m"
state_root = ["tmp-fallback"]
"#;
        let st: State = toml::from_str(text).unwrap();
        assert_eq!(toml::to_string(&st).unwrap(), text);
    }
}
