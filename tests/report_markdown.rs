//! The Markdown issue body as GitHub would show it (issue 13 point 1–2, issue 15 point 4):
//! rendered with pulldown-cmark's GFM options, checked as text — every placeholder visible,
//! no raw HTML, no image, no link off GitHub, no mention or bare `#N` outside code, no
//! injected heading — on the failures corpus and on a record full of hostile text.

mod common;
use common::corpus;

use assert_cmd::cargo::cargo_bin_cmd;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::path::Path;

const NOW: &str = "2026-11-26T14:00:00.000Z";

fn gfm() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
}

/// `triage export` with a controlled environment (home, user, empty Codex home).
fn export(args: &[&str], home: &Path, user: &str) -> String {
    let out = cargo_bin_cmd!("triage")
        .env("HOME", home)
        .env("USER", user)
        .env_remove("USERPROFILE")
        .env_remove("USERNAME")
        .env_remove("CLAUDE_PLUGIN_DATA")
        .env("CODEX_HOME", home.join(".codex"))
        .arg("export")
        .args(args)
        .args(["--no-progress", "--now", NOW])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What a reader sees, split by where it sits.
#[derive(Default, Debug)]
struct Seen {
    /// Text outside code.
    text: Vec<String>,
    /// Code spans and code blocks.
    code: Vec<String>,
    /// Raw HTML events.
    html: Vec<String>,
    images: Vec<String>,
    links: Vec<String>,
    /// (level, text) of headings.
    headings: Vec<(HeadingLevel, String)>,
}

impl Seen {
    fn visible(&self) -> String {
        let mut all = self.text.join("");
        all.push_str(&self.code.join("\n"));
        all
    }
}

fn read(md: &str) -> Seen {
    let mut s = Seen::default();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut in_block = false;
    for ev in Parser::new_ext(md, gfm()) {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => s.html.push(h.to_string()),
            Event::Start(Tag::Image { dest_url, .. }) => s.images.push(dest_url.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) => s.links.push(dest_url.to_string()),
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => s.headings.extend(heading.take()),
            Event::Start(Tag::CodeBlock(_)) => in_block = true,
            Event::End(TagEnd::CodeBlock) => in_block = false,
            Event::Text(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                if in_block {
                    s.code.push(t.to_string());
                } else {
                    s.text.push(t.to_string());
                }
            }
            Event::Code(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                s.code.push(t.to_string());
            }
            _ => {}
        }
    }
    s
}

/// The safety properties every body must have.
fn assert_safe(md: &str, s: &Seen) {
    assert!(s.html.is_empty(), "raw HTML passes: {:?}", s.html);
    assert!(s.images.is_empty(), "images: {:?}", s.images);
    for l in &s.links {
        assert!(l.starts_with("https://github.com/"), "link off GitHub: {l}");
    }
    let mention = regex::Regex::new(r"(^|[^\w.`])@[A-Za-z0-9]").unwrap();
    let bare = regex::Regex::new(r"(^|[^\w/.-])#\d+").unwrap();
    for t in &s.text {
        assert!(!mention.is_match(t), "a mention outside code: {t:?}");
        assert!(!bare.is_match(t), "a bare #N outside code: {t:?}");
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(md, gfm()));
    for tag in ["<script", "<img", "<details", "<iframe"] {
        assert!(!html.contains(tag), "{tag} reaches the HTML");
    }
}

const SECTIONS: &[&str] = &[
    "Workaround",
    "Environment",
    "Summary",
    "Templates",
    "Steps to reproduce",
    "Evidence",
    "Timeline",
    "Bisection",
    "Distinct from",
    "Related",
    "Upstream references",
];

/// The Markdown export of a corpus tree, checked for the safety properties and for section
/// headings from the known set.
fn corpus_body(dir: &Path) -> (String, Seen) {
    let home = tempfile::tempdir().unwrap();
    let md = export(
        &[dir.to_str().unwrap(), "--format", "markdown"],
        home.path(),
        "dev",
    );
    let s = read(&md);
    assert_safe(&md, &s);
    for (l, t) in &s.headings {
        if *l == HeadingLevel::H3 {
            assert!(SECTIONS.contains(&t.as_str()), "unexpected heading {t:?}");
        }
    }
    (md, s)
}

#[test]
fn failures_corpus_body_is_safe_and_complete() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let (md, s) = corpus_body(&dir);

    let h2: Vec<&String> = s
        .headings
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H2)
        .map(|(_, t)| t)
        .collect();
    assert!(h2.len() >= 20, "one section per cluster: {}", h2.len());
    // Placeholders in rule prose, inside and outside code spans, stay visible.
    let visible = s.visible();
    for want in ["codex/<version>/", "ps -p <pid>", "<job-id>", "'<model>'"] {
        assert!(visible.contains(want), "{want} is not visible");
    }
    // Per cluster: the pointer upstream first, then the workaround, then the sections.
    for section in md.split("\n## ").skip(1) {
        let known = section.find("**Known upstream as [");
        let env = section.find("### Environment").expect("Environment");
        if let Some(k) = known {
            assert!(k < env, "known upstream comes first");
            let w = section.find("### Workaround").expect("workaround with it");
            assert!(k < w && w < env, "the workaround follows the pointer");
            assert!(section.contains("add your details there rather than opening a new issue"));
        }
        let order = [
            "### Environment",
            "### Summary",
            "### Steps to reproduce",
            "### Evidence",
            "### Timeline",
            "### Bisection",
        ];
        let pos: Vec<usize> = order
            .iter()
            .map(|h| {
                section
                    .find(h)
                    .unwrap_or_else(|| panic!("{h} in {}", &section[..60]))
            })
            .collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "section order");
    }

    // The 1920 report: tracked as #295, failing commands with their exit codes, the tail,
    // the timeline and a bisection row saying what is unknown.
    let sec = md
        .split("\n## ")
        .find(|s| s.starts_with("Windows sandbox runner: `CreateProcessAsUserW failed: 1920`"))
        .expect("1920 section");
    assert!(sec.contains("**Known upstream as [openai/codex-plugin-cc#295](https://github.com/openai/codex-plugin-cc/issues/295)**"));
    assert!(sec.contains("Failing commands (3 of 3):"));
    assert!(sec.matches("(exit -1)").count() >= 3);
    assert!(sec.contains("Last log lines before the end"));
    assert!(sec.contains("1 run on 2026-09-08."));
    assert!(sec.contains("| `unknown` | `unknown` | `windows` | 1 completed | 1 |"));
    assert!(sec.contains("the records do not say the plugin version and Codex CLI version"));
    // Bare numbers in rule prose are qualified.
    assert!(sec.contains("PR openai/codex-plugin-cc#241/openai/codex-plugin-cc#508"));

    // A cut says how much it left out: six wedged jobs, three shown.
    let wedged = md
        .split("\n## ")
        .find(|s| s.starts_with("Job stays running forever"))
        .expect("wedged section");
    assert!(wedged.contains("+3 more runs:"), "{wedged}");
    assert!(
        wedged.contains("6 runs across 5 days (2026-09-02 to 2026-11-04)"),
        "{}",
        &wedged[..3000.min(wedged.len())]
    );
}

/// A failed job whose error message and log carry HTML, images, links, mentions, bare issue
/// numbers, backtick runs, a heading on a continuation line, a home path and a key.
fn hostile_tree(root: &Path, home: &str) {
    let ws = root.join("state/app-0123456789abcdef");
    std::fs::create_dir_all(ws.join("jobs")).unwrap();
    let id = "task-mzzzzzzz-hostil";
    let error = format!(
        "boom <img src=https://evil.example/p.png> in {home}/src/app/<details>open</details> after 3 retries, key sk-planted0123456789abcdefghij\n# Injected heading\n@org/team ```` `` [click](https://evil.example/x) ![px](https://evil.example/t.png) <script>alert(1)</script> see #123"
    );
    let log = format!(
        "[2026-11-20T10:00:00.000Z] Starting Codex Task.\n\
         [2026-11-20T10:00:01.000Z] Turn started (019a0000-0000-7000-8000-000000000001).\n\
         [2026-11-20T10:00:02.000Z] Running command: /bin/bash -lc 'cat <script>x</script> | @octocat'\n\
         [2026-11-20T10:00:02.100Z] Command failed: /bin/bash -lc 'cat <script>x</script> | @octocat' (exit -1)\n\
         [2026-11-20T10:00:03.000Z] Codex error: {}\n\
         [2026-11-20T10:00:04.000Z] Turn failed.\n",
        error
    );
    let job = serde_json::json!({
        "id": id, "kind": "task", "title": "Codex Task", "workspaceRoot": format!("{home}/src/app"),
        "jobClass": "task", "status": "failed", "phase": "failed",
        "createdAt": "2026-11-20T10:00:00.000Z", "startedAt": "2026-11-20T10:00:00.000Z",
        "completedAt": "2026-11-20T10:00:04.000Z", "errorMessage": error,
        "logFile": ws.join(format!("jobs/{id}.log")),
    });
    std::fs::write(
        ws.join(format!("jobs/{id}.json")),
        serde_json::to_string_pretty(&job).unwrap(),
    )
    .unwrap();
    std::fs::write(ws.join(format!("jobs/{id}.log")), log).unwrap();
    let state = serde_json::json!({"version": 1, "config": {}, "jobs": [job]});
    std::fs::write(
        ws.join("state.json"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
}

#[test]
fn hostile_record_text_stays_inert_and_visible() {
    let t = tempfile::tempdir().unwrap();
    let home = "/home/planted";
    hostile_tree(t.path(), home);
    let md = export(
        &[t.path().to_str().unwrap(), "--format", "markdown"],
        t.path(),
        "planted",
    );
    let s = read(&md);
    assert_safe(&md, &s);
    assert!(
        !s.headings.iter().any(|(_, h)| h.starts_with("Injected")),
        "a heading injected from a multi-line message: {:?}",
        s.headings
    );
    let visible = s.visible();
    // Placeholders of the fingerprint and of redaction, and the record's own text, are shown
    // (not dropped as tags).
    for want in [
        "<path>",
        "<n>",
        "<redacted>",
        "<script>x</script>",
        "<details>open</details>",
        "@octocat",
        "#123",
        "(exit -1)",
    ] {
        assert!(visible.contains(want), "{want} not visible in:\n{md}");
    }
    assert!(
        !md.contains("sk-planted0123456789abcdefghij"),
        "the key leaks"
    );
    assert!(!md.contains("/home/planted"), "the home leaks");
}

#[test]
fn title_only_is_one_line() {
    let Some(dir) = corpus("failures/win-sandbox-createprocessasuser-1920") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let title = export(
        &[
            dir.to_str().unwrap(),
            "--format",
            "markdown",
            "--title-only",
        ],
        home.path(),
        "dev",
    );
    assert_eq!(
        title,
        "Windows sandbox runner: `CreateProcessAsUserW failed: 1920` (token error; shell tool-calls never start) (1 run)\n"
    );
    let t = tempfile::tempdir().unwrap();
    hostile_tree(t.path(), "/home/planted");
    let title = export(
        &[t.path().to_str().unwrap(), "--title-only"],
        t.path(),
        "planted",
    );
    assert_eq!(title.lines().count(), 1, "{title:?}");
    assert!(!title.contains("sk-planted"), "{title}");
}

#[test]
fn plugin_generated_corpus_body_is_safe() {
    // Trees the test code was not written against: the plugin's own records.
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let (md, _) = corpus_body(&dir);
    assert!(md.contains("### Timeline"));
}
