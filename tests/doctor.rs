//! `triage doctor` (issue 13 point 3) on a constructed Windows home: a 1.0.4 plugin cache
//! (and a stale 1.0.2 copy), a `config.toml` with `[windows] sandbox = "elevated"` and a
//! secret, a 0-byte WindowsApps `pwsh.exe`, a rollout naming CLI 0.128.0, and triage's hook on
//! one event only. Also: nothing is run without `--probe`, and nothing in the tree changes.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::path::Path;
use walkdir::WalkDir;

const SECRET: &str = "planted-bearer-0123456789abcdef";

fn windows_home(h: &Path) {
    let mk = |p: &str| std::fs::create_dir_all(h.join(p)).unwrap();
    mk(".claude/plugins/cache/openai-codex/codex/1.0.4/scripts");
    mk(".claude/plugins/cache/openai-codex/codex/1.0.2/scripts");
    mk(".claude/plugins/data/codex-openai-codex/state/app-0123456789abcdef/jobs");
    std::fs::write(
        h.join(
            ".claude/plugins/data/codex-openai-codex/state/app-0123456789abcdef/jobs/task-a.json",
        ),
        "{}",
    )
    .unwrap();
    mk("AppData/Local/Microsoft/WindowsApps");
    std::fs::write(h.join("AppData/Local/Microsoft/WindowsApps/pwsh.exe"), b"").unwrap();
    mk(".codex/sessions/2026/09/08");
    std::fs::write(
        h.join(".codex/sessions/2026/09/08/rollout-2026-09-08T07-41-14-01a07ff6-c653-75c1-8586-4f31b49195cd.jsonl"),
        "{\"type\":\"session_meta\",\"payload\":{\"cli_version\":\"0.128.0\"}}\n",
    )
    .unwrap();
    std::fs::write(
        h.join(".codex/config.toml"),
        format!(
            "model = \"gpt-5.5\"\napproval_policy = \"never\"\n\n[windows]\nsandbox = \"elevated\"\n\n\
             [model_providers.corp]\nbase_url = \"https://llm.corp.example/v1\"\nexperimental_bearer_token = \"{SECRET}\"\n\n\
             [mcp_servers.files]\ncommand = \"npx\"\nargs = [\"-y\", \"server\"]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        h.join(".claude/settings.json"),
        r#"{"enabledPlugins": {"codex@openai-codex": true},
            "hooks": {"Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "triage capture --quiet"}]}],
                      "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo hi"}]}]}}"#,
    )
    .unwrap();
}

/// A `codex` on PATH that leaves a mark when it is run.
fn fake_codex(bin: &Path, mark: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let p = bin.join("codex");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\n: > '{}'\necho 'codex-cli 0.130.0'\n",
            mark.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn doctor(home: &Path, path: &Path, args: &[&str]) -> (String, std::process::Output) {
    let out = cargo_bin_cmd!("triage")
        .env("PATH", path)
        .env_remove("CLAUDE_PLUGIN_DATA")
        .arg("doctor")
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), out)
}

/// Every path with its size and modification time.
fn snapshot(root: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            (
                e.path().display().to_string(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn doctor_reads_a_windows_home() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    windows_home(&home);
    let bin = t.path().join("bin");
    let mark = t.path().join("ran");
    fake_codex(&bin, &mark);
    let before = snapshot(&home);

    let (text, out) = doctor(&home, &bin, &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(f["os"]["platform"], "windows");
    assert_eq!(f["os"]["source"], "home layout");
    let versions: Vec<&str> = f["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.4", "1.0.2"]);
    assert_eq!(f["active_plugin"], "1.0.4");
    assert_eq!(f["plugins"][0]["active"], true);
    assert_eq!(
        f["plugins"][0]["path"],
        "~/.claude/plugins/cache/openai-codex/codex/1.0.4"
    );
    // The CLI version from the rollout; `codex` itself was found but not run.
    assert_eq!(f["codex"]["version"], "0.128.0");
    assert!(
        f["codex"]["version_source"]
            .as_str()
            .unwrap()
            .starts_with("newest rollout ~/.codex/sessions/2026/09/08/")
    );
    assert!(f["codex"]["path"].as_str().unwrap().ends_with("/bin/codex"));
    assert!(!mark.exists(), "no program runs without --probe");

    let keys = &f["codex_config"]["keys"];
    assert_eq!(keys["windows.sandbox"], "\"elevated\"");
    assert_eq!(keys["model"], "\"gpt-5.5\"");
    assert_eq!(keys["approval_policy"], "\"never\"");
    assert_eq!(
        keys["model_providers.corp.experimental_bearer_token"],
        "<redacted>"
    );
    assert!(
        keys.get("mcp_servers.files.command").is_none(),
        "only relevant keys"
    );
    assert!(!text.contains(SECRET), "the config secret leaks");

    assert_eq!(f["pwsh_alias"]["size"], 0);
    assert_eq!(f["pwsh_alias"]["stub"], true);
    assert_eq!(f["hooks"]["installed"], serde_json::json!(["Stop"]));
    assert_eq!(
        f["hooks"]["missing"],
        serde_json::json!(["SubagentStop", "SessionEnd"])
    );
    assert_eq!(f["hooks"]["plugin_enabled"], true);
    assert_eq!(f["data_dirs"][0]["jobs"], 1);

    let problems: Vec<&str> = f["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for want in [
        "pwsh-windowsapps-stub",
        "windows-sandbox-elevated",
        "several-plugin-copies",
        "triage-hooks-missing",
    ] {
        assert!(problems.contains(&want), "{want} in {problems:?}");
    }

    // Exposure from the rules' platforms and affected versions.
    let exp = f["exposure"].as_array().unwrap();
    let find = |id: &str| exp.iter().find(|e| e["signature"] == id);
    let e1920 = find("win-sandbox-createprocessasuser-1920").expect("1920");
    assert_eq!(e1920["certainty"], "exposed");
    let why = e1920["because"].to_string();
    assert!(
        why.contains("plugin 1.0.4 in 1.0.4") && why.contains("Codex CLI 0.128.0 in 0.128.0"),
        "{why}"
    );
    assert_eq!(
        find("win-sandbox-createprocessasuser-1312-pwsh-stub").unwrap()["certainty"],
        "exposed"
    );
    // Fixed in 1.0.3: the active 1.0.4 is not exposed.
    assert!(find("win-gitbash-commands-declined").is_none());
    // Linux- and macOS-only rules do not apply to a Windows home.
    assert!(find("linux-bwrap-namespace-denied").is_none());
    assert!(find("macos-tcc-operation-not-permitted").is_none());
    assert!(f["not_exposed"].as_u64().unwrap() >= 4);

    // The human report says the same.
    let (human, out) = doctor(&home, &bin, &[]);
    assert!(out.status.success());
    assert!(human.contains("plugin         1.0.4 active"), "{human}");
    assert!(human.contains("0-byte App Execution Alias stub"), "{human}");
    assert!(human.contains("windows.sandbox = \"elevated\""), "{human}");
    assert!(
        human.contains("win-sandbox-createprocessasuser-1920"),
        "{human}"
    );
    assert!(!human.contains(SECRET));

    assert_eq!(before, snapshot(&home), "doctor changed the home tree");
}

#[cfg(unix)]
#[test]
fn probe_runs_codex_version() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = t.path().join("bin");
    let mark = t.path().join("ran");
    fake_codex(&bin, &mark);
    let (text, out) = doctor(&home, &bin, &["--format", "json", "--probe"]);
    assert!(out.status.success());
    let f: Value = serde_json::from_str(&text).unwrap();
    assert!(mark.exists(), "--probe runs codex --version");
    assert_eq!(f["codex"]["version"], "0.130.0");
    assert_eq!(f["codex"]["version_source"], "`codex --version`");
    assert_eq!(
        f["node"]["version"],
        Value::Null,
        "node is not on this PATH"
    );
    assert!(
        f["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "node-not-on-path"),
        "{text}"
    );
}

#[test]
fn home_must_exist() {
    let out = cargo_bin_cmd!("triage")
        .args(["doctor", "--home", "/nonexistent/triage-home"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
}

/// The Markdown export's Environment section is the doctor's facts of the home it is given
/// (issue 13 point 3, last sentence), next to what the records say; shell and
/// `CLAUDE_PLUGIN_DATA` come from the environment.
#[cfg(unix)]
#[test]
fn export_environment_uses_the_doctor_facts() {
    let Some(tree) = common::corpus("failures/win-sandbox-createprocessasuser-1920") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    windows_home(&home);
    let data = t.path().join("plugin-data");
    std::fs::create_dir_all(data.join("state")).unwrap();
    let run = |args: &[&str]| {
        let out = cargo_bin_cmd!("triage")
            .env("PATH", t.path().join("no-bin"))
            .env("SHELL", "/bin/zsh")
            .env("CLAUDE_PLUGIN_DATA", &data)
            .args(args)
            .arg("--home")
            .arg(&home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let facts: Value = serde_json::from_str(&run(&["doctor", "--format", "json"])).unwrap();
    assert_eq!(facts["shell"], "/bin/zsh");
    assert_eq!(facts["claude_plugin_data"], data.display().to_string());
    let md = run(&["export", "--format", "markdown", tree.to_str().unwrap()]);
    let env = md
        .split("### Environment")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("an Environment section");
    let (machine, records) = env.split_once("From the records:").expect("two parts");
    for want in [
        format!("plugin: `{}`", facts["active_plugin"].as_str().unwrap()),
        format!(
            "Codex CLI: `{}`",
            facts["codex"]["version"].as_str().unwrap()
        ),
        "shell: `/bin/zsh`".to_string(),
        format!("`CLAUDE_PLUGIN_DATA`: `{}`", data.display()),
        "`windows.sandbox = \"elevated\"`".to_string(),
        "0-byte App Execution Alias stub".to_string(),
    ] {
        assert!(machine.contains(&want), "{want} in:\n{machine}");
    }
    assert!(
        !md.contains(SECRET),
        "the config secret leaks into the export"
    );
    assert!(records.contains("platform: `windows`"), "{records}");
}

/// `--probe` also asks Node.js and npm for their versions; without it they are only found.
#[cfg(unix)]
#[test]
fn probe_reads_node_and_npm_versions() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = t.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, says) in [("node", "v22.11.0"), ("npm", "10.9.0")] {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (text, out) = doctor(&home, &bin, &["--format", "json", "--probe"]);
    assert!(out.status.success(), "{out:?}");
    let f: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(f["node"]["version"], "22.11.0", "{text}");
    assert_eq!(f["npm"]["version"], "10.9.0", "{text}");
    let (text, _) = doctor(&home, &bin, &["--format", "json"]);
    let f: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(f["node"]["version"], Value::Null);
    assert!(f["node"]["path"].as_str().unwrap().ends_with("/bin/node"));
}
