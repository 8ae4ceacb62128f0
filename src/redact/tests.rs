use super::*;
use proptest::prelude::*;

/// A redactor that knows nothing about the machine, so results do not
/// depend on who runs the tests.
fn plain() -> Redactor {
    Redactor::new(None, None)
}

fn linux() -> Redactor {
    Redactor::new(Some("/home/alice"), Some("alice"))
}

fn windows() -> Redactor {
    Redactor::new(Some(r"C:\Users\alice"), Some("alice"))
}

/// Redactors shared by the property tests: building one compiles a
/// `RegexSet`, which would dominate the run time if done per case.
static SHARED: LazyLock<[Redactor; 3]> = LazyLock::new(|| [plain(), linux(), windows()]);

/// Asserts the redaction and that it is a fixed point.
#[track_caller]
fn check(r: &Redactor, input: &str, expected: &str) {
    let once = r.redact(input);
    assert_eq!(once, expected, "input: {input:?}");
    let twice = r.redact(&once);
    assert_eq!(twice, once, "not idempotent for input: {input:?}");
    assert!(
        matches!(twice, Cow::Borrowed(_)),
        "second pass allocated: {input:?}"
    );
}

/// Asserts the text is left alone, without allocating.
#[track_caller]
fn keep(r: &Redactor, input: &str) {
    let out = r.redact(input);
    assert!(
        matches!(out, Cow::Borrowed(_)),
        "changed {input:?} to {out:?}"
    );
}

// ---- home directories -------------------------------------------------

#[test]
fn linux_home() {
    check(&plain(), "/home/dev/src/app", "~/src/app");
    check(&plain(), "cwd=/home/dev", "cwd=~");
    check(&plain(), r#"{"cwd":"/home/dev/x"}"#, r#"{"cwd":"~/x"}"#);
}

#[test]
fn macos_home() {
    check(&plain(), "/Users/dev/Library/Logs", "~/Library/Logs");
}

#[test]
fn windows_home_backslash() {
    check(
        &plain(),
        r"C:\Users\dev\AppData\Local\Temp",
        r"~\AppData\Local\Temp",
    );
}

#[test]
fn windows_home_forward_slash() {
    check(&plain(), "C:/Users/dev/project/a.rs", "~/project/a.rs");
}

#[test]
fn windows_home_json_escaped() {
    check(&plain(), r"C:\\Users\\dev\\x", r"~\\x");
    check(
        &plain(),
        r#"{"cwd":"C:\\Users\\dev\\repo"}"#,
        r#"{"cwd":"~\\repo"}"#,
    );
    // Doubly escaped JSON (a JSON string inside a JSON string).
    check(&plain(), r"C:\\\\Users\\\\dev\\\\x", r"~\\\\x");
}

#[test]
fn windows_home_lowercase_drive_and_other_letters() {
    check(&plain(), r"c:\\Users\\dev\\x", r"~\\x");
    check(&plain(), r"c:\users\dev\x", r"~\x");
    check(&plain(), r"D:\Users\dev\x", r"~\x");
}

#[test]
fn windows_home_short_name() {
    check(
        &plain(),
        r"C:\Users\RUNNER~1\AppData\Local\Temp\x",
        r"~\AppData\Local\Temp\x",
    );
}

#[test]
fn wsl_cygwin_and_git_bash_homes() {
    check(&plain(), "/mnt/c/Users/dev/code", "~/code");
    check(&plain(), "/cygdrive/c/Users/dev/code", "~/code");
    check(&plain(), "/c/Users/dev/code", "~/code");
    check(&plain(), r"\\wsl$\Ubuntu\home\dev\code", r"~\code");
    check(&plain(), r"\\wsl.localhost\Ubuntu\home\dev\code", r"~\code");
}

#[test]
fn file_url_and_unc_prefixes() {
    check(&plain(), "file:///home/dev/a.txt", "file://~/a.txt");
    check(&plain(), r"\\?\C:\Users\dev\a.txt", r"\\?\~\a.txt");
}

#[test]
fn home_in_path_lists_and_quotes() {
    check(
        &plain(),
        "PATH=/usr/bin:/home/dev/.cargo/bin:/Users/eve/bin",
        "PATH=/usr/bin:~/.cargo/bin:~/bin",
    );
    check(&plain(), "'/home/dev' and (/home/ops)", "'~' and (~)");
}

#[test]
fn home_followed_by_sentence_period() {
    check(&plain(), "see /home/dev.", "see ~.");
    check(
        &plain(),
        "user dev.DOMAIN: C:\\Users\\dev.DOMAIN\\x",
        "user dev.DOMAIN: ~\\x",
    );
}

#[test]
fn unicode_user_names() {
    check(&plain(), "/home/jürgen/x", "~/x");
    check(&plain(), r"C:\Users\Łukasz\x", r"~\x");
}

#[test]
fn known_unix_home_outside_home() {
    let r = Redactor::new(Some("/var/lib/jenkins/"), None);
    check(&r, "/var/lib/jenkins/workspace/x", "~/workspace/x");
    check(&r, "/var/lib/jenkins", "~");
    // Only whole components: a longer sibling directory is not the home.
    keep(&r, "/var/lib/jenkinsfile");
    keep(&r, "/opt/var/lib/jenkins");
}

#[test]
fn known_root_home() {
    let r = Redactor::new(Some("/root"), Some("root"));
    check(&r, "/root/.codex/jobs", "~/.codex/jobs");
    // "root" is a common word, not redacted outside paths.
    keep(&r, "the root cause");
    keep(&r, "/srv/root/x");
}

#[test]
fn known_windows_home_both_slash_styles_and_wsl() {
    let r = Redactor::new(Some(r"D:\Profiles\alice"), None);
    check(&r, r"D:\Profiles\alice\x", r"~\x");
    check(&r, "d:/profiles/alice/x", "~/x");
    check(&r, r"D:\\Profiles\\alice\\x", r"~\\x");
    check(&r, "/mnt/d/Profiles/alice/x", "~/x");
    keep(&r, r"D:\Profiles\alicex");
}

#[test]
fn known_home_is_ignored_when_too_generic() {
    for home in ["/", "C:\\", "~", "/tmp", "/home/", "relative/dir", ""] {
        let r = Redactor::new(Some(home), None);
        keep(&r, "/tmp/x and /home and C:\\Windows and relative/dir/x ~");
    }
}

// ---- user names -------------------------------------------------------

#[test]
fn user_in_non_home_windows_path() {
    check(
        &plain(),
        r"E:\\backup\\Users\\dev\\x",
        r"E:\\backup\\Users\\<user>\\x",
    );
    check(&plain(), r"E:\backup\Users\dev", r"E:\backup\Users\<user>");
}

#[test]
fn user_in_non_home_unix_path() {
    // A lowercase `home` directory only counts with dotfiles below it...
    check(
        &plain(),
        "/mnt/disk/home/dev/.ssh/id",
        "/mnt/disk/home/<user>/.ssh/id",
    );
    check(
        &plain(),
        "/mnt/disk/Users/dev/x",
        "/mnt/disk/Users/<user>/x",
    );
    // ...or when it is the known user.
    let r = Redactor::new(None, Some("dev"));
    check(&r, "/srv/home/dev/x", "/srv/home/<user>/x");
}

#[test]
fn source_tree_home_directory_is_kept() {
    keep(&plain(), "src/pages/home/index.tsx");
    keep(&plain(), "https://example.com/home/about");
    keep(&plain(), "app/users/models.py");
}

#[test]
fn known_user_as_word() {
    check(&linux(), "ssh alice@host", "ssh <user>@host");
    check(
        &linux(),
        "owner: Alice, group: alice-admins",
        "owner: <user>, group: <user>-admins",
    );
    check(
        &windows(),
        r"DESKTOP-1\alice logged in",
        r"DESKTOP-1\<user> logged in",
    );
}

#[test]
fn known_user_inside_longer_word_is_kept() {
    keep(&linux(), "malice and alicetools and alice_x");
    let r = Redactor::new(None, Some("dev"));
    keep(&r, "devtools dev server");
    let r = Redactor::new(None, Some("bo"));
    keep(&r, "bo is too short to redact as a word");
}

#[test]
fn known_user_with_regex_metacharacters() {
    let r = Redactor::new(None, Some("a.b+c"));
    check(&r, "by a.b+c today", "by <user> today");
    keep(&r, "by aXb+c today");
}

#[test]
fn user_named_like_a_marker_is_stable() {
    for user in ["user", "redacted", "acted", "use"] {
        let r = Redactor::new(Some(&format!("/home/{user}")), Some(user));
        let once = r.redact("/home/x sk-abcdefghijklmnopqrstuvwxyz0123 /opt/Users/y");
        assert_eq!(r.redact(&once), once, "user {user}");
    }
}

#[test]
fn generic_placeholders_are_kept() {
    keep(
        &plain(),
        r"%USERPROFILE%\AppData and C:\Users\%USERNAME%\x and $HOME/x",
    );
    keep(&plain(), "/home/<user>/x and ~/x and /home/$USER/x");
}

#[test]
fn shared_profiles_are_kept() {
    keep(&plain(), r"C:\Users\Public\Documents");
    keep(&plain(), "/Users/Shared/x");
    keep(&plain(), r"C:\Users\Default\NTUSER.DAT");
    keep(&plain(), r"C:\Users\All Users\x");
    keep(&plain(), "/home/linuxbrew/.linuxbrew/bin/gh");
}

#[test]
fn home_alone_is_kept() {
    keep(&plain(), "/home");
    keep(&plain(), "/home/");
    keep(&plain(), "/Users and C:\\Users\\ and /home/ x");
}

#[test]
fn macos_temp_dir_is_kept() {
    keep(&plain(), "/var/folders/xy/abc123_def/T/tmp.x");
}

#[test]
fn home_after_relative_prefix_is_not_a_home() {
    check(
        &plain(),
        "backup/home/dev/.config",
        "backup/home/<user>/.config",
    );
}

// ---- secrets ----------------------------------------------------------

#[test]
fn openai_keys() {
    check(
        &plain(),
        "key sk-abcdefghijklmnopqrstuvwxyz012345 end",
        "key <redacted> end",
    );
    check(
        &plain(),
        "sk-proj-AbC_dEf-0123456789abcdefghij",
        "<redacted>",
    );
    check(&plain(), "sk-short123", "<redacted>");
    keep(&plain(), "sk-learn");
}

#[test]
fn bearer_tokens() {
    check(
        &plain(),
        "Authorization: Bearer abc123def456ghi789",
        "Authorization: Bearer <redacted>",
    );
    check(
        &plain(),
        "bearer Zm9vYmFyYmF6cXV4cXV1eHh4eHh4",
        "bearer <redacted>",
    );
    keep(&plain(), "Bearer authentication failed");
}

#[test]
fn basic_auth_and_url_passwords() {
    check(
        &plain(),
        "Authorization: Basic dXNlcjpwYXNz",
        "Authorization: Basic <redacted>",
    );
    check(
        &plain(),
        "postgres://app:hunter2@db:5432/x",
        "postgres://app:<redacted>@db:5432/x",
    );
    keep(&plain(), "http://localhost:8080/x");
}

#[test]
fn jwt() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    check(&plain(), &format!("token={jwt}"), "token=<redacted>");
    keep(&plain(), "eyJ alone, and a.b.c");
}

#[test]
fn github_tokens() {
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        let input = format!("t {prefix}ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 t");
        check(&plain(), &input, "t <redacted> t");
    }
    check(
        &plain(),
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "<redacted>",
    );
}

#[test]
fn aws_access_key_id() {
    check(&plain(), "AKIAIOSFODNN7EXAMPLE", "<redacted>");
    check(&plain(), "id=ASIAIOSFODNN7EXAMPLE,", "id=<redacted>,");
    keep(&plain(), "AKIAshort");
}

#[test]
fn slack_and_google_tokens() {
    check(&plain(), "xoxb-1234567890-abcdefghij", "<redacted>");
    check(&plain(), "xoxp-1234-5678-abcdefgh", "<redacted>");
    check(
        &plain(),
        "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
        "<redacted>",
    );
}

#[test]
fn key_value_secrets() {
    check(&plain(), "api_key=abc123", "api_key=<redacted>");
    check(
        &plain(),
        "OPENAI_API_KEY=abc123 next",
        "OPENAI_API_KEY=<redacted> next",
    );
    check(
        &plain(),
        r#"{"apiKey": "abc 123", "n": 1}"#,
        r#"{"apiKey": "<redacted>", "n": 1}"#,
    );
    check(
        &plain(),
        r#"{\"client_secret\":\"s3cr3t\"}"#,
        r#"{\"client_secret\":\"<redacted>\"}"#,
    );
    check(&plain(), "password: 'p@ss word'", "password: '<redacted>'");
    check(&plain(), "x-api-key: abc123", "x-api-key: <redacted>");
    check(
        &plain(),
        "?access_token=abc123&x=1",
        "?access_token=<redacted>&x=1",
    );
    check(
        &plain(),
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
        "AWS_SECRET_ACCESS_KEY=<redacted>",
    );
    check(
        &plain(),
        r#""token": "abcdef0123456789xyz""#,
        r#""token": "<redacted>""#,
    );
}

#[test]
fn key_value_placeholders_are_kept() {
    keep(
        &plain(),
        "api_key=$OPENAI_API_KEY password: <your password> secret=%SECRET% apiKey: null",
    );
    keep(&plain(), r#"{"api_key": "", "password": true}"#);
    keep(
        &plain(),
        "unexpected token: } and max_tokens=100 input_tokens: 5",
    );
    keep(
        &plain(),
        "password_hash_algorithm is bcrypt; secret == other",
    );
}

#[test]
fn private_key_block() {
    check(
        &plain(),
        "a -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\nbnNz\n-----END OPENSSH PRIVATE KEY----- b",
        "a <redacted> b",
    );
    check(
        &plain(),
        r"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
        "<redacted>",
    );
}

#[test]
fn secret_containing_a_home_path_is_hidden_whole() {
    check(&plain(), "password=/home/dev/pw.txt", "password=<redacted>");
}

#[test]
fn ordinary_ids_are_kept() {
    let r = linux();
    keep(&r, "550e8400-e29b-41d4-a716-446655440000");
    keep(&r, "commit 9fceb02d0ae598e95dc970b74767f19372d61af8");
    keep(&r, "deadbeefcafebabe0123456789abcdef");
    keep(
        &r,
        "job task-mwxkt4cj-5g20dl finished; thread 019a8f2e-7c4b-7d1e",
    );
    keep(&r, "task-abcdefghijklmnopqrstuvwxyz0123456789");
    keep(
        &r,
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
}

#[test]
fn mixed_record() {
    let r = windows();
    let input = r#"{"cwd":"C:\\Users\\alice\\repo","env":{"OPENAI_API_KEY":"sk-proj-abcdefghijklmnopqrstuvwx"},"log":"alice ran /home/bob/x with Bearer tok_123456789"}"#;
    let expected = r#"{"cwd":"~\\repo","env":{"OPENAI_API_KEY":"<redacted>"},"log":"<user> ran ~/x with Bearer <redacted>"}"#;
    check(&r, input, expected);
}

// ---- API properties ---------------------------------------------------

#[test]
fn unchanged_text_is_borrowed() {
    keep(&linux(), "");
    keep(&linux(), "nothing to see here: ~/x, <user>, <redacted>");
}

#[test]
fn redaction_is_idempotent_on_samples() {
    let r = windows();
    for input in [
        "/home/a/home/b/home/c",
        "xC:/Users/dev",
        "Bearer /home/alice/abcdefg1",
        "api_key=Bearer abc123456789",
        "/home/sk-abcdefghijklmnopqrstuvwxyz0/x",
        "https://alice:pw@host/home/alice",
        r"C:\Users\C:\Users\dev\x",
    ] {
        let once = r.redact(input);
        assert_eq!(r.redact(&once), once, "input {input:?}");
    }
}

#[test]
fn from_env_does_not_panic() {
    let r = Redactor::from_env();
    let _ = r.redact("/home/dev/x sk-abcdefghijklmnopqrstuvwxyz0");
}

/// Fragments that combine into (near-)matches of every rule, so that
/// random concatenations exercise the interactions between rules.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/home/".to_string()),
        Just("/Users/".to_string()),
        Just("C:".to_string()),
        Just("\\".to_string()),
        Just("\\\\".to_string()),
        Just("/".to_string()),
        Just("Users".to_string()),
        Just("home".to_string()),
        Just("alice".to_string()),
        Just("dev".to_string()),
        Just("Public".to_string()),
        Just(".ssh".to_string()),
        Just("/mnt/c".to_string()),
        Just("~".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just("<user>".to_string()),
        Just("<redacted>".to_string()),
        Just(" ".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just(": ".to_string()),
        Just("=".to_string()),
        Just("@".to_string()),
        Just("://".to_string()),
        Just("sk-".to_string()),
        Just("abcdefghij0123456789".to_string()),
        Just("Bearer ".to_string()),
        Just("api_key".to_string()),
        Just("password".to_string()),
        Just("\"token\"".to_string()),
        Just("eyJabcd.efgh.ijkl".to_string()),
        Just("ghp_".to_string()),
        Just("AKIA".to_string()),
        Just("-----BEGIN PRIVATE KEY-----".to_string()),
        Just("-----END PRIVATE KEY-----".to_string()),
        "[a-zA-Z0-9_]{1,6}",
        ".{0,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_is_idempotent(input in ".{0,200}") {
        for r in SHARED.iter() {
            let once = r.redact(&input);
            let twice = r.redact(&once);
            prop_assert_eq!(&twice, &once);
            prop_assert!(matches!(twice, Cow::Borrowed(_)));
        }
    }

    #[test]
    fn idempotent_on_path_and_secret_fragments(
        parts in proptest::collection::vec(fragment(), 0..24)
    ) {
        let input = parts.concat();
        for r in SHARED.iter() {
            let once = r.redact(&input);
            let twice = r.redact(&once);
            prop_assert_eq!(&twice, &once, "input {:?}", input);
            prop_assert!(matches!(twice, Cow::Borrowed(_)));
            if let Some(p1) = r.pass(&input) {
                prop_assert_eq!(r.pass(&p1), None, "a single pass is not a fixed point for {:?}", input);
            }
            if once == input {
                prop_assert!(matches!(once, Cow::Borrowed(_)));
            }
        }
    }
}

/// Found by `idempotent_on_path_and_secret_fragments` (unpinned seed): the first pass kept
/// the dotted word whole, then replaced the user name inside it, and the entropy fallback
/// of the next pass judged only the rest of the word.
#[test]
fn entropy_fallback_ignores_words_another_detector_changed() {
    for r in SHARED.iter() {
        for input in [
            "api_key.alice-abcdefghij0123456789-",
            "token x.alice-abcdefghij0123456789",
            "secret bob@example.com-abcdefghij0123456789",
        ] {
            let once = r.redact(input).into_owned();
            assert_eq!(r.pass(input).unwrap_or_else(|| input.to_string()), once);
            assert_eq!(r.pass(&once), None, "{input:?} -> {once:?}");
        }
    }
}
