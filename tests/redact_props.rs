//! Property tests: a random secret of each detector's shape, embedded in random text, is
//! always redacted; so is a random user name in every form of a home directory.

use proptest::prelude::*;
use std::sync::LazyLock;
use triage::redact::Redactor;

static R: LazyLock<Redactor> = LazyLock::new(|| Redactor::new(None, None));

/// Random surrounding text: words, punctuation and spaces, never glued to the secret.
fn context() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,.:;()!?-]{0,30}"
}

/// Secrets that carry their own shape (a provider prefix, a JWT, a key block).
fn shaped_secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "ghp_[A-Za-z0-9]{36}",
        "gho_[A-Za-z0-9]{36}",
        "github_pat_[A-Za-z0-9_]{40,82}",
        "glpat-[A-Za-z0-9_-]{20,30}",
        "hf_[A-Za-z]{34}",
        "npm_[A-Za-z0-9]{36}",
        "xox[bpoas]-[0-9]{10,12}-[A-Za-z0-9]{24}",
        "(sk|rk)_live_[A-Za-z0-9]{24,40}",
        "A(KIA|SIA)[A-Z2-7]{16}",
        "AIza[0-9A-Za-z_-]{35}",
        "sk-proj-[A-Za-z0-9_-]{40,120}",
        "sk-ant-api03-[A-Za-z0-9_-]{40,90}",
        "sk-[a-z]{4,8}[0-9]{4,6}",
        "eyJ[A-Za-z0-9_-]{10,40}\\.eyJ[A-Za-z0-9_-]{10,40}\\.[A-Za-z0-9_-]{10,40}",
        "gsk_[A-Za-z0-9]{52}",
        "hvs\\.[A-Za-z0-9_-]{24,90}",
        "-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----\n[A-Za-z0-9+/]{20,64}\n-----END (RSA |EC |OPENSSH )?PRIVATE KEY-----",
    ]
}

/// A random-looking value: letters then digits, so it passes the "random" check of
/// token-like keys.
fn value() -> impl Strategy<Value = String> {
    "[A-Za-z]{3,12}[0-9]{3,10}[A-Za-z0-9]{0,10}"
}

/// `key=value` and flag forms with every quoting.
fn assignment() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        Just("GITHUB_TOKEN"),
        Just("HF_TOKEN"),
        Just("NPM_TOKEN"),
        Just("OPENAI_API_KEY"),
        Just("password"),
        Just("db_password"),
        Just("client_secret"),
        Just("AccountKey"),
        Just("access_token"),
        Just("apiKey"),
    ];
    let form = prop_oneof![
        Just("{k}={v}"),
        Just("{k}=\"{v}\""),
        Just("{k}='{v}'"),
        Just("\"{k}\": \"{v}\""),
        Just("{\\\"{k}\\\":\\\"{v}\\\"}"),
        Just("{k}: {v}"),
        Just("export {k}={v}"),
        Just("$env:{k}='{v}'"),
        Just("--token {v}"),
        Just("--password={v}"),
        Just("--api-key \"{v}\""),
        Just("mysql -u root -p{v} db"),
        Just("curl -u me:{v} https://x.example"),
        Just("Authorization: Bearer {v}"),
        Just("Authorization: Basic {v}"),
        Just("Cookie: session={v}; a=b"),
        Just("postgres://app:{v}@db:5432/x"),
        Just("Server=db;Password={v};"),
    ];
    (key, form, value()).prop_map(|(k, f, v)| (f.replace("{k}", k).replace("{v}", &v), v))
}

/// A user name that is not a shared profile directory.
fn user() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{4,11}".prop_filter("not a shared profile", |u| {
        !matches!(
            u.as_str(),
            "public" | "shared" | "default" | "deleted" | "linuxbrew" | "users"
        )
    })
}

fn home_form() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("/home/{u}/src/x.rs"),
        Just("/Users/{u}/Library/x"),
        Just("C:\\Users\\{u}\\AppData\\x"),
        Just("c:/users/{u}/proj"),
        Just("C:\\\\Users\\\\{u}\\\\repo"),
        Just("/mnt/c/Users/{u}/code"),
        Just("/c/Users/{u}/code"),
        Just("\\\\wsl$\\Ubuntu\\home\\{u}\\code"),
        Just("%2Fhome%2F{u}%2Frepo"),
        Just("C%3A%5CUsers%5C{u}%5Crepo"),
        Just("\\\\fileserver\\Users\\{u}\\docs"),
        Just("~{u}/repo"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn shaped_secrets_in_random_text_are_redacted(
        a in context(), s in shaped_secret(), b in context()
    ) {
        let text = format!("{a} {s} {b}");
        let out = R.redact(&text);
        prop_assert!(!out.contains(&s), "{:?} -> {:?}", text, out);
        prop_assert!(out.contains("<redacted>"));
        prop_assert_eq!(R.redact(&out), out.clone(), "not idempotent on {:?}", text);
    }

    #[test]
    fn assigned_secrets_in_random_text_are_redacted(
        a in context(), (form, v) in assignment(), b in context()
    ) {
        let text = format!("{a} {form} {b}");
        let out = R.redact(&text);
        prop_assert!(!out.contains(&v), "{:?} -> {:?}", text, out);
        prop_assert_eq!(R.redact(&out), out.clone(), "not idempotent on {:?}", text);
    }

    #[test]
    fn emails_in_random_text_are_redacted(
        a in context(), local in "[a-z]{2,10}(\\.[a-z]{2,10})?", host in "[a-z]{3,12}",
        tld in "(com|net|org|io|de)", b in context()
    ) {
        prop_assume!(!matches!(local.as_str(), "git" | "noreply"));
        let email = format!("{local}@{host}.{tld}");
        let text = format!("{a} {email} {b}");
        let out = R.redact(&text);
        prop_assert!(!out.contains(&email), "{:?} -> {:?}", text, out);
        prop_assert_eq!(R.redact(&out), out.clone(), "not idempotent on {:?}", text);
    }

    #[test]
    fn user_names_in_every_home_form_are_redacted(
        a in "[A-Z0-9 ,.:;]{0,20}", u in user(), form in home_form(), b in "[A-Z0-9 ,.:;]{0,20}"
    ) {
        let text = format!("{a} {} {b}", form.replace("{u}", &u));
        let out = R.redact(&text);
        prop_assert!(!out.contains(&u), "{:?} -> {:?}", text, out);
        prop_assert_eq!(R.redact(&out), out.clone(), "not idempotent on {:?}", text);
    }

    #[test]
    fn the_machine_user_is_redacted_as_a_word_and_a_slug(
        a in "[A-Z0-9 ,.:;]{0,20}", u in "[a-z]{3}[a-z0-9]{3,9}", b in "[A-Z0-9 ,.:;]{0,20}"
    ) {
        let r = Redactor::new(Some(&format!("/home/{u}")), Some(&u));
        for form in ["{u}", "{u}-0123456789abcdef", "owner {u}:", "{u}@host"] {
            let text = format!("{a} {} {b}", form.replace("{u}", &u));
            let out = r.redact(&text);
            prop_assert!(!out.contains(&u), "{:?} -> {:?}", text, out);
            prop_assert_eq!(r.redact(&out), out.clone(), "not idempotent on {:?}", text);
        }
    }
}
