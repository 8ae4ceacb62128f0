//! `triage hook install | uninstall | status` on real settings files (issue #10): other keys
//! and hooks kept in meaning and order, idempotent install, a backup, uninstall of triage's
//! entries only, a missing file, a file that is not JSON refused; and the installed command
//! run as Claude Code runs it (through a shell) captures into the store.

mod common;

use serde_json::Value;
use std::path::Path;
use triage::history::ojson::Json;

const SETTINGS: &str = r#"{
  "model": "opus",
  "permissions": {
    "allow": ["Bash(npm test:*)", "Read"],
    "deny": []
  },
  "hooks": {
    "Stop": [
      {
        "matcher": "",
        "hooks": [
          { "type": "command", "command": "notify-send 'Claude is done'", "timeout": 5 }
        ]
      }
    ],
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [{ "type": "command", "command": "/usr/local/bin/check-bash.sh" }]
      }
    ]
  },
  "env": { "FOO": "1", "BAR": "2.50" },
  "statusLine": { "type": "command", "command": "echo hi" }
}
"#;

fn triage(db: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
    c.env("CODEX_HOME", "/nonexistent-codex-home")
        .env_remove("TRIAGE_DB")
        .arg("--db")
        .arg(db);
    c
}

fn hook(db: &Path, action: &str, settings: &Path) -> (Option<i32>, String, String) {
    let out = triage(db)
        .args(["hook", action, "--settings"])
        .arg(settings)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Top-level keys in file order.
fn key_order(text: &str) -> Vec<String> {
    match serde_json::from_str::<Json>(text).unwrap() {
        Json::Object(m) => m.keys().cloned().collect(),
        _ => panic!("not an object"),
    }
}

fn triage_commands(v: &Value, event: &str) -> Vec<String> {
    v["hooks"][event]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["hooks"].as_array().cloned().unwrap_or_default())
        .filter_map(|h| h["command"].as_str().map(str::to_string))
        .filter(|c| c.contains("capture --quiet"))
        .collect()
}

#[test]
fn install_twice_then_uninstall_keeps_everything_else() {
    let t = tempfile::tempdir().unwrap();
    let settings = t.path().join("settings.json");
    let db = t.path().join("h.db");
    std::fs::write(&settings, SETTINGS).unwrap();
    let original: Value = serde_json::from_str(SETTINGS).unwrap();

    let (code, out, err) = hook(&db, "install", &settings);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Stop, SubagentStop, SessionEnd"), "{out}");
    let backup = t.path().join("settings.json.triage-backup");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        SETTINGS,
        "backup first"
    );
    let original_copy = t.path().join("settings.json.triage-original");
    let text = std::fs::read_to_string(&settings).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(key_order(&text), key_order(SETTINGS), "key order kept");
    for ev in ["Stop", "SubagentStop", "SessionEnd"] {
        let cmds = triage_commands(&v, ev);
        assert_eq!(cmds.len(), 1, "{ev}: {cmds:?}");
        assert!(cmds[0].contains("--db") && cmds[0].contains(db.to_str().unwrap()));
    }
    // Everything that was there is still there, in meaning.
    for key in ["model", "permissions", "env", "statusLine"] {
        assert_eq!(v[key], original[key], "{key}");
    }
    assert_eq!(v["hooks"]["PreToolUse"], original["hooks"]["PreToolUse"]);
    assert_eq!(
        v["hooks"]["Stop"][0], original["hooks"]["Stop"][0],
        "the user's Stop hook stays first"
    );
    assert_eq!(v["env"]["BAR"], "2.50");

    // Twice: nothing added, the file not even rewritten.
    let (code, out, _) = hook(&db, "install", &settings);
    assert_eq!(code, Some(0));
    assert!(out.contains("already installed"), "{out}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), text);

    let (code, out, _) = hook(&db, "status", &settings);
    assert_eq!(code, Some(0));
    assert_eq!(out.matches("not hooked").count(), 0, "{out}");
    assert!(out.contains("not created yet"), "{out}");

    let (code, out, err) = hook(&db, "uninstall", &settings);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("removed triage hooks"), "{out}");
    // The latest backup is the installed file; the original stays as it was before install.
    assert_ne!(std::fs::read_to_string(&backup).unwrap(), SETTINGS);
    assert_eq!(
        std::fs::read_to_string(&original_copy).unwrap(),
        SETTINGS,
        "the first backup is never overwritten"
    );
    let after = std::fs::read_to_string(&settings).unwrap();
    let back: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(back, original, "uninstall restores the settings' meaning");
    assert_eq!(key_order(&after), key_order(SETTINGS));
    assert_eq!(
        serde_json::from_str::<Json>(&after).unwrap(),
        serde_json::from_str::<Json>(SETTINGS).unwrap(),
        "and every nested key order"
    );
    let (code, out, _) = hook(&db, "uninstall", &settings);
    assert_eq!(code, Some(0));
    assert!(out.contains("no triage hooks"), "{out}");
    let (_, out, _) = hook(&db, "status", &settings);
    assert_eq!(out.matches("not hooked").count(), 3, "{out}");
}

#[test]
fn missing_settings_file_is_created_and_uninstall_leaves_no_file_alone() {
    let t = tempfile::tempdir().unwrap();
    let settings = t.path().join("dot-claude").join("settings.json");
    let db = t.path().join("h.db");
    let (code, out, _) = hook(&db, "uninstall", &settings);
    assert_eq!(code, Some(0));
    assert!(out.contains("does not exist"), "{out}");
    assert!(!settings.exists());

    let (code, _, err) = hook(&db, "install", &settings);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    for ev in ["Stop", "SubagentStop", "SessionEnd"] {
        let groups = v["hooks"][ev].as_array().unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0]["matcher"], "");
        assert_eq!(groups[0]["hooks"][0]["type"], "command");
    }
    assert!(
        !t.path()
            .join("dot-claude/settings.json.triage-backup")
            .exists(),
        "nothing to back up"
    );
    hook(&db, "uninstall", &settings);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v, serde_json::json!({}), "only triage's entries were there");
}

#[test]
fn settings_that_are_not_valid_json_are_refused_untouched() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    for (name, text, says) in [
        ("torn", &SETTINGS[..SETTINGS.len() / 2], "not valid JSON"),
        (
            "comments",
            "// my settings\n{\"model\": \"opus\"}\n",
            "not valid JSON",
        ),
        ("array", "[1, 2]\n", "not a JSON object"),
        (
            "hooks-string",
            "{\"hooks\": \"none\"}\n",
            "`hooks` is not an object",
        ),
        (
            "event-object",
            "{\"hooks\": {\"Stop\": {}}}\n",
            "`hooks.Stop` is not an array",
        ),
    ] {
        let settings = t.path().join(format!("{name}.json"));
        std::fs::write(&settings, text).unwrap();
        for action in ["install", "uninstall"] {
            let (code, _, err) = hook(&db, action, &settings);
            assert_eq!(code, Some(2), "{name} {action}");
            assert!(
                err.contains(says) && err.contains(settings.to_str().unwrap()),
                "{name}: {err}"
            );
            assert_eq!(
                std::fs::read_to_string(&settings).unwrap(),
                text,
                "{name} untouched"
            );
            assert!(!t.path().join(format!("{name}.json.triage-backup")).exists());
        }
    }
}

#[test]
fn the_installed_command_captures_through_a_shell_and_never_fails() {
    let Some(tree) = common::corpus("plugin-generated/task-codex-error-failed-turn") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let settings = t.path().join("settings.json");
    let db = t.path().join("store dir").join("h.db");
    let (code, _, err) = hook(&db, "install", &settings);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    let cmd = v["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let tmp = t.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // As Claude Code runs a command hook: through a shell, hook input on stdin, the plugin
    // data dir in the environment.
    let run = |plugin_data: &Path| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env("CODEX_HOME", "/nonexistent-codex-home")
            .env("CLAUDE_PLUGIN_DATA", plugin_data)
            .env_remove("TRIAGE_DB")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&tree);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "quiet");
    let doc: Value = {
        let out = triage(&db)
            .args(["history", "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ids: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let job = walkdir::WalkDir::new(&tree)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.path().extension().is_some_and(|x| x == "json")
                && e.path().parent().is_some_and(|p| p.ends_with("jobs"))
        })
        .map(|e| e.path().file_stem().unwrap().to_string_lossy().into_owned())
        .expect("the tree has a job file");
    assert!(
        ids.contains(&job.as_str()),
        "{job} captured from CLAUDE_PLUGIN_DATA: {ids:?}"
    );
    let (_, out, _) = hook(&db, "status", &settings);
    assert!(
        out.contains("last capture"),
        "status says when the store last captured: {out}"
    );

    // A broken store: the session's hook still exits 0; the problem is in the store's log.
    std::fs::write(&db, b"garbage, not a database").unwrap();
    let out = run(&tree);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    assert!(log.contains("not an SQLite database"), "{log}");
    let (_, out, _) = hook(&db, "status", &settings);
    assert!(out.contains("not an SQLite database"), "{out}");
}

#[test]
fn default_settings_are_the_users_and_project_is_the_folders() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    let project = t.path().join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    let db = t.path().join("h.db");
    let run = |args: &[&str]| {
        let out = triage(&db)
            .env("HOME", &home)
            .env("USERPROFILE", &home)
            .current_dir(&project)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let user = home.join(".claude/settings.json");
    let local = project.join(".claude/settings.json");
    run(&["hook", "install", "--project"]);
    assert!(
        local.is_file() && !user.exists(),
        "--project writes only .claude/settings.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    for event in ["Stop", "SubagentStop", "SessionEnd"] {
        assert_eq!(triage_commands(&v, event).len(), 1, "{event}");
    }
    run(&["hook", "install"]);
    assert!(user.is_file(), "without --project: ~/.claude/settings.json");
    let status = run(&["hook", "status"]);
    assert!(status.contains(&user.display().to_string()), "{status}");
    assert!(status.contains("no capture so far"), "{status}");
    run(&["hook", "uninstall", "--project"]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    assert!(triage_commands(&v, "Stop").is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&user).unwrap()).unwrap();
    assert_eq!(
        triage_commands(&v, "Stop").len(),
        1,
        "the user's file is untouched"
    );
}

/// A settings file kept as a symbolic link (a dotfiles repository) stays a link: the file it
/// points to gets the hooks.
#[cfg(unix)]
#[test]
fn a_linked_settings_file_stays_a_link() {
    let t = tempfile::tempdir().unwrap();
    let dotfiles = t.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("claude-settings.json");
    std::fs::write(&real, SETTINGS).unwrap();
    let link = t.path().join("settings.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let db = t.path().join("h.db");
    let (code, _, err) = hook(&db, "install", &link);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(triage_commands(&v, "Stop").len(), 1);
    assert_eq!(
        std::fs::read_to_string(t.path().join("settings.json.triage-backup")).unwrap(),
        SETTINGS,
        "the backup is beside the link"
    );
    assert_eq!(
        std::fs::read_dir(&dotfiles).unwrap().count(),
        1,
        "nothing else in dotfiles"
    );
    let (code, _, err) = hook(&db, "uninstall", &link);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert!(triage_commands(&v, "Stop").is_empty());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
