//! `triage bundle` (issue 13 point 4): secrets and home paths planted in every field of a
//! record, in the log, in the index and in the Codex config; the archive holds the records,
//! the doctor facts and the export, and none of its files or names holds a planted string.

use assert_cmd::cargo::cargo_bin_cmd;
use std::io::Read;
use std::path::Path;

const USER: &str = "plantuser";

/// Secrets of common shapes (each must vanish).
const SECRETS: &[&str] = &[
    "sk-proj-PLANTEDa1b2c3d4e5f6g7h8i9j0k1l2",
    "ghp_PLANTED0123456789abcdefghijABCDEFGH",
    "AKIAPLANTED012345678",
    "xoxb-PLANTED-0123456789-abcdef",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.PLANTEDsig123",
    "hunter2PLANTEDpw",
    "PLANTEDbearer0123456789",
];

fn tree(root: &Path, home: &Path) -> String {
    let h = home.display().to_string();
    let ws = root.join("state/app-0123456789abcdef");
    std::fs::create_dir_all(ws.join("jobs")).unwrap();
    let id = "task-mplanted-abcdef";
    let log = format!(
        "[2026-11-20T10:00:00.000Z] Starting Codex Task.\n\
         [2026-11-20T10:00:01.000Z] Running command: /bin/bash -lc 'GITHUB_TOKEN={gh} git push https://{user}:{pw}@github.com/x/y'\n\
         [2026-11-20T10:00:01.100Z] Command failed: /bin/bash -lc 'aws s3 ls' (exit -1)\n\
         [2026-11-20T10:00:02.000Z] Codex error: api_key={sk} rejected; AWS {aws}; slack {slack}\n\
         Authorization: Bearer {bearer}\n\
         [2026-11-20T10:00:03.000Z] Turn failed.\n\
         \n\
         [2026-11-20T10:00:03.100Z] Final output\n\
         read {h}/src/app/main.rs and /home/{user}/notes.txt, token {jwt}\n",
        gh = SECRETS[1],
        user = USER,
        pw = SECRETS[5],
        sk = SECRETS[0],
        aws = SECRETS[2],
        slack = SECRETS[3],
        bearer = SECRETS[6],
        jwt = SECRETS[4],
    );
    let job = serde_json::json!({
        "id": id, "kind": "task", "title": "Codex Task", "workspaceRoot": format!("{h}/src/app"),
        "jobClass": "task", "status": "failed", "phase": "failed",
        "summary": format!("push with {}", SECRETS[1]),
        "createdAt": "2026-11-20T10:00:00.000Z", "startedAt": "2026-11-20T10:00:00.000Z",
        "completedAt": "2026-11-20T10:00:03.000Z",
        "errorMessage": format!("password={} for C:\\Users\\{USER}\\repo", SECRETS[5]),
        "logFile": ws.join(format!("jobs/{id}.log")),
        "result": {"rawOutput": format!("sk: {}", SECRETS[0])},
        "rendered": format!("see /Users/{USER}/x and {}", SECRETS[4]),
    });
    std::fs::write(
        ws.join(format!("jobs/{id}.json")),
        serde_json::to_string_pretty(&job).unwrap(),
    )
    .unwrap();
    std::fs::write(ws.join(format!("jobs/{id}.log")), log).unwrap();
    let mut entry = job.clone();
    entry["summary"] = format!("token {}", SECRETS[3]).into();
    let other = serde_json::json!({"id": "task-other-000000", "status": "completed", "summary": "not selected"});
    let state = serde_json::json!({"version": 1, "config": {}, "jobs": [entry, other]});
    std::fs::write(
        ws.join("state.json"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    id.to_string()
}

fn codex_home(home: &Path) {
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    std::fs::write(
        home.join(".codex/config.toml"),
        format!(
            "model = \"gpt-5.5\"\n[model_providers.corp]\nbase_url = \"https://{USER}:{}@llm.example/v1\"\nexperimental_bearer_token = \"{}\"\n",
            SECRETS[5], SECRETS[6]
        ),
    )
    .unwrap();
    std::fs::create_dir_all(home.join(".claude/plugins/cache/openai-codex/codex/1.0.4")).unwrap();
}

/// (name, contents) of every file in a .tar.gz.
fn unpack(path: &Path) -> Vec<(String, String)> {
    let f = std::fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            (name, s)
        })
        .collect()
}

#[test]
fn bundle_holds_records_doctor_and_export_and_no_planted_secret() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home").join(USER);
    std::fs::create_dir_all(&home).unwrap();
    codex_home(&home);
    let data = t.path().join("data");
    let id = tree(&data, &home);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("b.tar.gz");

    let run = cargo_bin_cmd!("triage")
        .env("HOME", &home)
        .env("USER", USER)
        .env_remove("USERPROFILE")
        .env_remove("USERNAME")
        .env_remove("CLAUDE_PLUGIN_DATA")
        .env("CODEX_HOME", home.join(".codex"))
        .arg("bundle")
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .args(["--no-progress", "--now", "2026-11-26T14:00:00.000Z"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("redacted"));

    let files = unpack(&out);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "triage-bundle/export.json".to_string(),
        "triage-bundle/doctor.json".to_string(),
        "triage-bundle/README.txt".to_string(),
        format!("triage-bundle/records/001-{id}/state-entry.json"),
        format!("triage-bundle/records/001-{id}/job.json"),
        format!("triage-bundle/records/001-{id}/job.log"),
    ] {
        assert!(names.contains(&want.as_str()), "{want} in {names:?}");
    }
    let home_s = home.display().to_string();
    for (name, body) in &files {
        for s in SECRETS {
            assert!(!body.contains(s), "{s} survives in {name}");
            assert!(!name.contains(s), "{s} in the name {name}");
        }
        assert!(!body.contains(&home_s), "the home path survives in {name}");
        assert!(
            !body.contains(USER) && !name.contains(USER),
            "the user name survives in {name}:\n{body}"
        );
    }
    // Each JSON file still parses; the export and the doctor facts are the real documents.
    let get = |n: &str| &files.iter().find(|(x, _)| x.ends_with(n)).unwrap().1;
    let export: serde_json::Value = serde_json::from_str(get("export.json")).unwrap();
    assert_eq!(export["runs"][0]["id"], id.as_str());
    let doctor: serde_json::Value = serde_json::from_str(get("doctor.json")).unwrap();
    assert_eq!(doctor["active_plugin"], "1.0.4");
    assert_eq!(doctor["codex_config"]["keys"]["model"], "\"gpt-5.5\"");
    let entry: serde_json::Value = serde_json::from_str(get("state-entry.json")).unwrap();
    assert_eq!(
        entry["jobs"].as_array().unwrap().len(),
        1,
        "only the selected run's entry"
    );
    let job: serde_json::Value = serde_json::from_str(get("job.json")).unwrap();
    assert_eq!(job["status"], "failed");
    assert!(get("job.log").contains("Command failed: /bin/bash -lc 'aws s3 ls' (exit -1)"));
    assert!(get("job.log").contains("<redacted>"));
}

#[test]
fn bundle_never_writes_inside_a_scanned_tree() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let data = t.path().join("data");
    tree(&data, &home);
    let out = data.join("state/b.tar.gz");
    let run = cargo_bin_cmd!("triage")
        .env("HOME", &home)
        .arg("bundle")
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .arg("--no-progress")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("never writes there"));
    assert!(!out.exists());
}
