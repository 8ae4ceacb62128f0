//! Reports: the human summary, the JSON document (design-notes §4) and NDJSON, and the
//! Markdown issue body.

pub mod evidence;
pub mod human;
pub mod json;
pub mod markdown;
pub mod mdsafe;
pub mod timeline;
