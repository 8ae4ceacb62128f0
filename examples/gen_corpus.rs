//! Deterministic benchmark corpus generator.
//!
//! Writes a realistic `CLAUDE_PLUGIN_DATA` tree (`OUT/state/<slug>-<hash>/…`) in the exact
//! on-disk format of the Claude Code "codex" plugin (see `docs/plugin-format.md`):
//!
//! ```text
//! cargo run --release --example gen_corpus -- --mib 512 --seed 7 OUT_DIR
//! ```
//!
//! Same seed + size => byte-identical tree. No dependencies beyond the crate's own.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sha2::{Digest, Sha256};

#[derive(Parser, Debug)]
#[command(about = "Generate a deterministic codex-plugin job-state corpus for benchmarks")]
struct Args {
    /// Approximate total size of the tree in MiB (±2%).
    #[arg(long, default_value_t = 512.0)]
    mib: f64,
    /// PRNG seed; same seed + size => byte-identical tree.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Fraction of jobs that carry a catalogued failure signature.
    #[arg(long, default_value_t = 0.03)]
    failure_rate: f64,
    /// Delete OUT_DIR/state first if it exists.
    #[arg(long)]
    clean: bool,
    /// Output directory (becomes the CLAUDE_PLUGIN_DATA root).
    out_dir: PathBuf,
}

// ---------------------------------------------------------------------------
// PRNG (splitmix64)
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut r = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        ((self.next() >> 11) % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn pk(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = (self.next() % total as u64) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
    fn alnum(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
    fn hex(&mut self, n: usize) -> String {
        self.alnum(n, b"0123456789abcdef")
    }
    fn fork(&mut self) -> Rng {
        Rng::new(self.next())
    }
}

const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const B62: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn base36(mut n: u64) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut v = Vec::new();
    while n > 0 {
        v.push(B36[(n % 36) as usize]);
        n /= 36;
    }
    v.reverse();
    String::from_utf8(v).unwrap()
}

// ---------------------------------------------------------------------------
// Time formatting (Date.prototype.toISOString)
// ---------------------------------------------------------------------------

fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        milli
    )
}

/// 2026-03-30T00:00:00Z (plugin v1.0.0 release) .. 2026-11-26T00:00:00Z.
const EPOCH_START_MS: i64 = 1_774_828_800_000;
const EPOCH_END_MS: i64 = 1_795_651_200_000;

// ---------------------------------------------------------------------------
// Minimal ordered JSON value + JSON.stringify(v, null, 2) compatible printer
// ---------------------------------------------------------------------------

#[derive(Clone)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

fn s(x: impl Into<String>) -> J {
    J::Str(x.into())
}

fn opt_s(x: &Option<String>) -> J {
    match x {
        Some(v) => J::Str(v.clone()),
        None => J::Null,
    }
}

fn esc(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl J {
    fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::Num(f) => {
                let _ = write!(out, "{f}");
            }
            J::Str(v) => esc(out, v),
            J::Arr(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(n) = indent {
                        out.push('\n');
                        pad(out, n + 2);
                        it.write(out, Some(n + 2));
                    } else {
                        it.write(out, None);
                    }
                }
                if let Some(n) = indent {
                    out.push('\n');
                    pad(out, n);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(n) = indent {
                        out.push('\n');
                        pad(out, n + 2);
                        esc(out, k);
                        out.push_str(": ");
                        v.write(out, Some(n + 2));
                    } else {
                        esc(out, k);
                        out.push(':');
                        v.write(out, None);
                    }
                }
                if let Some(n) = indent {
                    out.push('\n');
                    pad(out, n);
                }
                out.push('}');
            }
        }
    }
    fn pretty(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write(&mut out, Some(0));
        out.push('\n');
        out
    }
    fn compact(&self) -> String {
        let mut out = String::with_capacity(1024);
        self.write(&mut out, None);
        out
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const REPO_A: &[&str] = &[
    "checkout",
    "inventory",
    "billing",
    "ledger",
    "payments",
    "orders",
    "search",
    "geo",
    "notify",
    "auth",
    "identity",
    "catalog",
    "pricing",
    "shipping",
    "analytics",
    "telemetry",
    "ingest",
    "scheduler",
    "mobile",
    "web",
    "docs",
    "admin",
    "gateway",
    "media",
    "chat",
    "feed",
    "profile",
    "fraud",
    "risk",
    "reporting",
    "export",
    "sync",
    "cache",
    "queue",
    "stream",
    "metrics",
    "audit",
    "portal",
    "partner",
    "vendor",
    "ml",
    "data",
    "infra",
    "deploy",
    "edge",
    "cli",
    "sdk",
];
const REPO_B: &[&str] = &[
    "service", "api", "svc", "worker", "app", "server", "client", "bff", "pipeline", "engine",
    "core", "tools", "platform", "gateway", "ui", "console", "runner", "agent", "daemon", "lib",
    "monorepo", "backend", "frontend", "site", "bot", "jobs", "store", "hub", "proxy", "registry",
];
const USERS: &[&str] = &[
    "dev", "alex", "mchen", "priya", "jdoe", "sam", "nora", "kenji", "lucia", "omar", "ines",
    "tomasz", "ada", "ravi", "elena", "marco", "yuki", "fatima", "liam", "sofia", "bjorn", "chloe",
    "diego", "hana", "ivan", "julia", "kwame", "lena", "mateo", "nadia",
];
const NOUNS: &[&str] = &[
    "config",
    "token",
    "session",
    "invoice",
    "cart",
    "order",
    "payment",
    "retry",
    "cache",
    "queue",
    "worker",
    "request",
    "response",
    "handler",
    "router",
    "schema",
    "migration",
    "client",
    "connection",
    "pool",
    "buffer",
    "parser",
    "lexer",
    "encoder",
    "decoder",
    "snapshot",
    "ledger",
    "account",
    "user",
    "profile",
    "permission",
    "policy",
    "rule",
    "limit",
    "bucket",
    "window",
    "batch",
    "record",
    "event",
    "message",
    "topic",
    "partition",
    "offset",
    "cursor",
    "page",
    "filter",
    "index",
    "query",
    "result",
    "report",
    "export",
    "import",
    "upload",
    "tile",
    "manifest",
    "bundle",
    "asset",
    "template",
    "locale",
    "timezone",
    "clock",
    "timer",
    "deadline",
    "job",
    "task",
    "pipeline",
    "stage",
    "step",
    "plugin",
    "hook",
    "middleware",
    "store",
    "reducer",
    "selector",
    "component",
    "form",
    "field",
    "validator",
    "serializer",
    "adapter",
    "provider",
    "registry",
    "factory",
    "builder",
    "context",
    "state",
    "lock",
    "mutex",
    "channel",
    "stream",
    "socket",
    "listener",
    "watcher",
    "scheduler",
    "cron",
    "backoff",
    "jitter",
    "checksum",
    "digest",
    "signature",
    "header",
    "cookie",
    "credential",
    "secret",
    "tenant",
    "region",
    "shard",
    "replica",
];
const VERBS: &[&str] = &[
    "get",
    "load",
    "parse",
    "build",
    "resolve",
    "flush",
    "fetch",
    "apply",
    "create",
    "update",
    "delete",
    "validate",
    "normalize",
    "compute",
    "merge",
    "split",
    "render",
    "encode",
    "decode",
    "sync",
    "retry",
    "schedule",
    "dispatch",
    "handle",
    "emit",
    "collect",
    "drain",
    "refresh",
    "reconcile",
    "serialize",
    "hydrate",
    "prune",
    "compact",
    "register",
    "lookup",
    "ensure",
    "read",
    "write",
    "open",
    "close",
    "acquire",
    "release",
    "spawn",
    "reset",
    "format",
    "check",
];
const ADJS: &[&str] = &[
    "empty",
    "stale",
    "pending",
    "cached",
    "default",
    "nested",
    "partial",
    "legacy",
    "async",
    "concurrent",
    "optional",
    "invalid",
    "expired",
    "duplicate",
    "missing",
    "unbounded",
    "shared",
    "global",
    "local",
    "remote",
    "temporary",
    "retryable",
    "idempotent",
    "lazy",
    "eager",
    "raw",
];
const MODULES: &[&str] = &[
    "api",
    "core",
    "billing",
    "auth",
    "models",
    "services",
    "handlers",
    "utils",
    "lib",
    "db",
    "storage",
    "http",
    "jobs",
    "workers",
    "cache",
    "config",
    "events",
    "domain",
    "infra",
    "cli",
    "components",
    "hooks",
    "store",
    "routes",
    "middleware",
    "scheduler",
    "reporting",
    "sync",
];
const MCP_TOOLS: &[(&str, &str)] = &[
    ("github", "search_issues"),
    ("github", "get_pull_request"),
    ("github", "list_commits"),
    ("github", "get_file_contents"),
    ("linear", "list_issues"),
    ("linear", "get_issue"),
    ("sentry", "get_issue_details"),
    ("sentry", "search_events"),
    ("context7", "get-library-docs"),
    ("context7", "resolve-library-id"),
    ("playwright", "browser_navigate"),
    ("playwright", "browser_snapshot"),
    ("postgres", "query"),
    ("filesystem", "read_file"),
    ("ide", "getDiagnostics"),
    ("datadog", "query_metrics"),
];
const SUBAGENTS: &[&str] = &[
    "design-challenger",
    "test-runner",
    "explorer",
    "security-reviewer",
    "perf-auditor",
    "doc-writer",
];
const MODELS: &[&str] = &[
    "gpt-5.4",
    "gpt-5.3-codex-spark",
    "gpt-5.3-codex",
    "gpt-5.4-mini",
    "gpt-5.2",
];
const EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "minimal"];
const BRANCHES: &[&str] = &[
    "main",
    "master",
    "develop",
    "origin/main",
    "release/2026.10",
];
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low"];
const ERR_KINDS: &[&str] = &[
    "TypeError",
    "AssertionError",
    "KeyError",
    "ValueError",
    "NullPointerException",
    "IndexOutOfRange",
    "timeout",
    "deadlock",
    "race",
    "off-by-one",
    "overflow",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Ts,
    Py,
    Rust,
    Go,
    Java,
    CSharp,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Os {
    Linux,
    Mac,
    Windows,
}

fn camel(a: &str, b: &str) -> String {
    let mut out = a.to_string();
    let mut cs = b.chars();
    if let Some(f) = cs.next() {
        out.extend(f.to_uppercase());
        out.push_str(cs.as_str());
    }
    out
}

fn pascal(a: &str) -> String {
    camel("", a)
}

struct Ctx<'a> {
    rng: &'a mut Rng,
    lang: Lang,
}

impl Ctx<'_> {
    fn noun(&mut self) -> &'static str {
        self.rng.pk(NOUNS)
    }
    fn ident(&mut self) -> String {
        let v = *self.rng.pick(VERBS);
        let n = *self.rng.pick(NOUNS);
        match self.lang {
            Lang::Py | Lang::Rust => {
                if self.rng.chance(0.3) {
                    format!("{v}_{}_{n}", self.rng.pick(ADJS))
                } else {
                    format!("{v}_{n}")
                }
            }
            Lang::CSharp => format!("{}{}", pascal(v), pascal(n)),
            _ => {
                if self.rng.chance(0.3) {
                    format!("{v}{}{}", pascal(self.rng.pk(ADJS)), pascal(n))
                } else {
                    camel(v, n)
                }
            }
        }
    }
    fn type_name(&mut self) -> String {
        let a = *self.rng.pick(NOUNS);
        let b = *self.rng.pick(&[
            "Service",
            "Client",
            "Store",
            "Manager",
            "Handler",
            "Config",
            "Error",
            "State",
            "Builder",
            "Repository",
            "Controller",
            "Cache",
        ]);
        format!("{}{}", pascal(a), b)
    }
    fn file(&mut self) -> String {
        let m = *self.rng.pick(MODULES);
        let n = *self.rng.pick(NOUNS);
        let n2 = *self.rng.pick(NOUNS);
        let test = self.rng.chance(0.2);
        match self.lang {
            Lang::Ts => {
                let ext = if self.rng.chance(0.3) { "tsx" } else { "ts" };
                let root = *self.rng.pick(&[
                    "src",
                    "src",
                    "packages/server/src",
                    "packages/web/src",
                    "lib",
                ]);
                if test {
                    format!("{root}/{m}/{n}-{n2}.test.{ext}")
                } else {
                    format!("{root}/{m}/{n}-{n2}.{ext}")
                }
            }
            Lang::Py => {
                if test {
                    format!("tests/{m}/test_{n}_{n2}.py")
                } else {
                    format!("src/{m}/{n}_{n2}.py")
                }
            }
            Lang::Rust => {
                if test {
                    format!("tests/{n}_{n2}.rs")
                } else {
                    let c = *self.rng.pick(&[
                        "src",
                        "crates/core/src",
                        "crates/cli/src",
                        "crates/server/src",
                    ]);
                    format!("{c}/{m}/{n}.rs")
                }
            }
            Lang::Go => {
                let d = *self.rng.pick(&["internal", "pkg", "cmd/server"]);
                if test {
                    format!("{d}/{m}/{n}_{n2}_test.go")
                } else {
                    format!("{d}/{m}/{n}_{n2}.go")
                }
            }
            Lang::Java => {
                let d = if test {
                    "src/test/java/com/acme"
                } else {
                    "src/main/java/com/acme"
                };
                let suffix = if test { "Test" } else { "" };
                format!("{d}/{m}/{}{}{suffix}.java", pascal(n), pascal(n2))
            }
            Lang::CSharp => {
                let d = if test { "tests/Api.Tests" } else { "src/Api" };
                let sub = *self.rng.pick(&[
                    "Controllers",
                    "Services",
                    "Models",
                    "Data",
                    "Infrastructure",
                ]);
                let suffix = if test { "Tests" } else { "" };
                format!("{d}/{sub}/{}{}{suffix}.cs", pascal(n), pascal(n2))
            }
        }
    }
    fn dir(&mut self) -> String {
        let f = self.file();
        match f.rfind('/') {
            Some(i) => f[..i].to_string(),
            None => "src".into(),
        }
    }
    fn test_cmd(&mut self) -> String {
        let f = self.file();
        match self.lang {
            Lang::Ts => match self.rng.below(7) {
                0 => "npm test".into(),
                1 => format!("npm test -- {f}"),
                2 => format!("npx vitest run {f}"),
                3 => format!("pnpm test -- --run {}", self.noun()),
                4 => format!("npx jest {f} --runInBand"),
                5 => "npm run test:unit".into(),
                _ => format!("yarn test {}", self.noun()),
            },
            Lang::Py => match self.rng.below(5) {
                0 => "pytest -q".into(),
                1 => format!("pytest -q {f}"),
                2 => format!("pytest -x -k {}", self.ident()),
                3 => "python -m pytest tests -q".into(),
                _ => format!("uv run pytest {f} -q"),
            },
            Lang::Rust => match self.rng.below(5) {
                0 => "cargo test".into(),
                1 => format!("cargo test {}", self.ident()),
                2 => format!("cargo test -p {}-core", self.noun()),
                3 => "cargo test --all-features".into(),
                _ => format!("cargo nextest run {}", self.ident()),
            },
            Lang::Go => match self.rng.below(4) {
                0 => "go test ./...".into(),
                1 => format!("go test ./internal/{}/...", self.rng.pick(MODULES)),
                2 => format!("go test -run Test{} ./...", pascal(self.noun())),
                _ => "go test -race ./...".into(),
            },
            Lang::Java => match self.rng.below(3) {
                0 => "mvn -q test".into(),
                1 => format!("./gradlew test --tests '*{}*'", self.type_name()),
                _ => "./gradlew check".into(),
            },
            Lang::CSharp => match self.rng.below(3) {
                0 => "dotnet test".into(),
                1 => format!("dotnet test --filter {}", self.type_name()),
                _ => "dotnet build".into(),
            },
        }
    }
    fn lint_cmd(&mut self) -> String {
        match self.lang {
            Lang::Ts => (*self.rng.pick(&[
                "npm run lint",
                "npx tsc --noEmit",
                "npx eslint src --ext .ts,.tsx",
                "npm run typecheck",
                "npm run build",
            ]))
            .into(),
            Lang::Py => (*self.rng.pick(&[
                "ruff check .",
                "mypy src",
                "ruff format --check .",
                "python -m compileall -q src",
            ]))
            .into(),
            Lang::Rust => (*self.rng.pick(&[
                "cargo clippy --all-targets -- -D warnings",
                "cargo check",
                "cargo fmt --check",
                "cargo build --release",
            ]))
            .into(),
            Lang::Go => (*self
                .rng
                .pick(&["go vet ./...", "golangci-lint run", "go build ./..."]))
            .into(),
            Lang::Java => (*self
                .rng
                .pick(&["mvn -q -DskipTests package", "./gradlew build -x test"]))
            .into(),
            Lang::CSharp => (*self.rng.pick(&[
                "dotnet build -warnaserror",
                "dotnet format --verify-no-changes",
            ]))
            .into(),
        }
    }
    fn read_cmd(&mut self) -> String {
        let f = self.file();
        let id = self.ident();
        match self.rng.below(16) {
            0 | 1 => format!("rg -n \"{id}\" {}", self.dir()),
            2 => format!("rg -n \"{}\" src", self.type_name()),
            3 => format!("sed -n 1,{}p {f}", self.rng.range(80, 400)),
            4 => {
                let a = self.rng.range(1, 300);
                format!("sed -n {a},{}p {f}", a + self.rng.range(40, 200))
            }
            5 => format!("cat {f}"),
            6 => format!("ls {}", self.dir()),
            7 => "git status --short".into(),
            8 => "git diff --stat".into(),
            9 => format!("git log --oneline -n {}", self.rng.range(5, 30)),
            10 => format!("git diff {}", self.rng.pick(BRANCHES)),
            11 => format!("rg --files {} | head -n 50", self.dir()),
            12 => format!(
                "nl -ba {f} | sed -n {},{}p",
                self.rng.range(1, 50),
                self.rng.range(60, 260)
            ),
            13 => format!("rg -n \"TODO|FIXME\" {}", self.dir()),
            14 => format!("git show --stat HEAD~{}", self.rng.range(1, 6)),
            _ => format!("wc -l {f} {}", self.file()),
        }
    }
    fn code_lines(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            let a = self.ident();
            let b = self.ident();
            let t = self.type_name();
            let k = self.rng.range(0, 5000);
            let line = match (self.lang, self.rng.below(8)) {
                (Lang::Ts, 0) => format!("const {a} = await {b}(ctx, {{ retries: {} }});", k % 9),
                (Lang::Ts, 1) => format!("if (!{a}?.length) return {b}({});", k),
                (Lang::Ts, 2) => format!("export function {a}(input: {t}): {t} | undefined {{"),
                (Lang::Ts, 3) => format!("  expect({a}(fixture)).toEqual({{ total: {k} }});"),
                (Lang::Ts, 4) => format!("  logger.debug(\"{a}\", {{ id, attempt: {} }});", k % 7),
                (Lang::Ts, 5) => format!("for (const item of {a}) {{ await {b}(item); }}"),
                (Lang::Ts, 6) => "}".to_string(),
                (Lang::Ts, _) => format!("  throw new {t}(`{a} failed after ${{ms}}ms`);"),
                (Lang::Py, 0) => format!("def {a}(self, {b}: {t} | None = None) -> int:"),
                (Lang::Py, 1) => format!("    if not {a}:\n        return {k}"),
                (Lang::Py, 2) => format!("    {a} = self.{b}(timeout={}.0)", k % 60),
                (Lang::Py, 3) => format!("    assert {a}(fixture) == {k}"),
                (Lang::Py, 4) => format!("    raise {t}(f\"{a} failed: {{exc}}\") from exc"),
                (Lang::Py, 5) => format!("    for row in {a}:\n        yield {b}(row)"),
                (Lang::Py, 6) => format!("    logger.info(\"{a} %s\", {b})"),
                (Lang::Py, _) => format!("    return {{k: v for k, v in {a}.items() if v}}"),
                (Lang::Rust, 0) => format!("let {a} = {b}(&ctx).context(\"{a} failed\")?;"),
                (Lang::Rust, 1) => format!("pub fn {a}(&self, input: &{t}) -> Result<usize> {{"),
                (Lang::Rust, 2) => format!("    if {a}.is_empty() {{ return Ok({k}); }}"),
                (Lang::Rust, 3) => format!("    assert_eq!({a}(&fixture), {k});"),
                (Lang::Rust, 4) => format!("    for item in {a}.iter().filter(|x| x.{b}()) {{"),
                (Lang::Rust, 5) => "}".to_string(),
                (Lang::Rust, 6) => format!("    tracing::debug!(attempt = {}, \"{a}\");", k % 9),
                (Lang::Rust, _) => format!("    let mut {a}: Vec<{t}> = Vec::with_capacity({k});"),
                (Lang::Go, 0) => {
                    format!("func (s *{t}) {}(ctx context.Context) error {{", pascal(&a))
                }
                (Lang::Go, 1) => format!(
                    "\tif err := s.{b}(ctx); err != nil {{\n\t\treturn fmt.Errorf(\"{a}: %w\", err)\n\t}}"
                ),
                (Lang::Go, 2) => format!("\t{a} := make([]{t}, 0, {k})"),
                (Lang::Go, 3) => {
                    format!("\tif got := {a}(in); got != {k} {{ t.Fatalf(\"got %d\", got) }}")
                }
                (Lang::Go, 4) => "}".to_string(),
                (Lang::Go, 5) => format!("\tdefer s.{b}()"),
                (Lang::Go, 6) => format!("\tfor _, it := range {a} {{"),
                (Lang::Go, _) => format!("\treturn {a}, nil"),
                (Lang::Java, 0) => format!("public {t} {a}(final {t} input) {{"),
                (Lang::Java, 1) => format!("    if ({a} == null) {{ return {b}({k}); }}"),
                (Lang::Java, 2) => format!("    assertEquals({k}, {a}(fixture));"),
                (Lang::Java, 3) => "}".to_string(),
                (Lang::Java, 4) => format!("    final var {a} = repository.{b}(id);"),
                (Lang::Java, 5) => format!("    log.warn(\"{a} failed for {{}}\", id, ex);"),
                (Lang::Java, 6) => format!("    for (var item : {a}) {{ {b}(item); }}"),
                (Lang::Java, _) => format!("    throw new {t}(\"{a}\");"),
                (Lang::CSharp, 0) => format!(
                    "public async Task<{t}> {}Async(CancellationToken ct)",
                    pascal(&a)
                ),
                (Lang::CSharp, 1) => format!("    if ({a} is null) return {b}({k});"),
                (Lang::CSharp, 2) => format!("    var {a} = await _{b}.ToListAsync(ct);"),
                (Lang::CSharp, 3) => "}".to_string(),
                (Lang::CSharp, 4) => format!("    Assert.Equal({k}, {a}(fixture));"),
                (Lang::CSharp, 5) => format!("    _logger.LogWarning(\"{a} failed {{Id}}\", id);"),
                (Lang::CSharp, 6) => format!("    foreach (var item in {a}) {{ {b}(item); }}"),
                (Lang::CSharp, _) => format!("    throw new {t}(nameof({a}));"),
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    fn fence_lang(&self) -> &'static str {
        match self.lang {
            Lang::Ts => "ts",
            Lang::Py => "python",
            Lang::Rust => "rust",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::CSharp => "csharp",
        }
    }

    /// One sentence of engineering prose with concrete references.
    fn sentence(&mut self) -> String {
        let a = self.ident();
        let b = self.ident();
        let f = self.file();
        let l = self.rng.range(3, 900);
        let n = self.noun();
        let adj = *self.rng.pick(ADJS);
        let t = self.type_name();
        let k = self.rng.range(2, 250);
        let e = *self.rng.pick(ERR_KINDS);
        match self.rng.below(34) {
            0 => format!("`{a}` in `{f}:{l}` reads the {n} before the {adj} check runs."),
            1 => format!(
                "The {n} is cached per process, so a {adj} entry survives until `{b}` is called again."
            ),
            2 => format!(
                "I traced the failure to `{f}`, where `{a}` assumes the {n} list is never {adj}."
            ),
            3 => format!(
                "Running the suite again shows {k} passing and {} failing tests.",
                k % 7 + 1
            ),
            4 => format!("`{t}` wraps the {n} in a {adj} handle, which hides the original {e}."),
            5 => format!("There is no test covering the {adj} {n} path through `{b}`."),
            6 => format!(
                "The retry loop in `{a}` never resets its backoff, so the {k}th attempt waits far too long."
            ),
            7 => format!(
                "`{f}` imports `{b}` from the old module path; the re-export was removed in the last refactor."
            ),
            8 => format!(
                "I kept the public signature of `{a}` unchanged so callers in `{}` keep compiling.",
                self.dir()
            ),
            9 => format!("The {e} comes from `{a}` returning early when the {n} is {adj}."),
            10 => format!(
                "Line {l} of `{f}` compares timestamps as strings, which breaks across time zones."
            ),
            11 => format!(
                "`{b}` is called twice per request: once in the middleware and again in `{a}`."
            ),
            12 => format!(
                "The fixture in `{f}` hard-codes {k} items, so the pagination branch is never exercised."
            ),
            13 => {
                format!("Moving the {n} lookup out of the loop removes about {k} queries per page.")
            }
            14 => format!(
                "`{t}::{b}` holds the lock across an await point, which explains the intermittent {e}."
            ),
            15 => format!(
                "I did not change `{f}`; the behaviour there is intentional according to the comment on line {l}."
            ),
            16 => format!(
                "The {adj} {n} flag defaults to `true` in production but `false` in the test config."
            ),
            17 => format!(
                "`{a}` swallows the error and returns an {adj} {n}, so the caller reports success."
            ),
            18 => format!(
                "After the change, `{b}` validates the {n} up front and the {e} no longer reproduces."
            ),
            19 => format!(
                "The migration adds a nullable `{n}_id` column; existing rows keep working without a backfill."
            ),
            20 => format!(
                "CI runs with `TZ=UTC` while the failing machine uses a local zone, which shifts the {n} window by hours."
            ),
            21 => format!(
                "I added a regression test in `{f}` that builds an {adj} {n} and asserts on `{a}`."
            ),
            22 => format!(
                "Both call sites pass the {n} by reference, so the mutation in `{b}` leaks into the shared state."
            ),
            23 => format!(
                "The {n} schema allows `null` for `{a}`, but the serializer in `{f}` does not."
            ),
            24 => format!(
                "`{a}` is only reachable from the admin route, so the blast radius is small."
            ),
            25 => format!("This matches the stack trace: `{e}` at `{f}:{l}` inside `{b}`."),
            26 => format!(
                "I left a TODO near `{a}` because the {adj} {n} case needs a product decision."
            ),
            27 => format!(
                "The slow part is `{b}`: it deserializes the whole {n} ({k} MB in the fixture) on every call."
            ),
            28 => format!(
                "`{t}` is constructed in three places with different defaults for the {n} timeout."
            ),
            29 => format!(
                "With the guard in place the {adj} branch returns early and `{a}` is never called with an {adj} {n}."
            ),
            30 => {
                format!("The lockfile pins `{n}-utils` to an old minor that still has the {e} bug.")
            }
            31 => format!(
                "I could not reproduce the {e} locally; it only shows up when the {n} queue is {adj}."
            ),
            32 => format!("`{a}` and `{b}` disagree about whether the {n} limit is inclusive."),
            _ => format!(
                "The change is limited to `{f}` and its test; nothing else depends on `{a}`."
            ),
        }
    }

    fn paragraph(&mut self, lo: usize, hi: usize) -> String {
        let n = lo + self.rng.below(hi - lo + 1);
        let mut p = String::new();
        for i in 0..n {
            if i > 0 {
                p.push(' ');
            }
            p.push_str(&self.sentence());
        }
        p
    }

    fn reasoning_section(&mut self) -> String {
        let n = self.noun();
        let adj = *self.rng.pick(ADJS);
        let a = self.ident();
        let title = match self.rng.below(16) {
            0 => "Reproducing the failure".to_string(),
            1 => "Mapping the code path".to_string(),
            2 => format!("Checking {n} handling"),
            3 => format!("Inspecting `{a}`"),
            4 => "Reading the tests first".to_string(),
            5 => format!("Tracing the {adj} {n} case"),
            6 => "Planning the fix".to_string(),
            7 => "Verifying the change".to_string(),
            8 => format!("Comparing {n} implementations"),
            9 => "Narrowing down the regression".to_string(),
            10 => format!("Considering {adj} inputs"),
            11 => "Reviewing the diff".to_string(),
            12 => format!("Looking for other callers of `{a}`"),
            13 => "Checking CI configuration".to_string(),
            14 => format!("Estimating the {n} impact"),
            _ => "Summarizing findings".to_string(),
        };
        let body = self.paragraph(1, 2);
        format!("**{title}** {body}")
    }

    /// Multi-paragraph markdown body as an agent message.
    fn markdown(&mut self, target_len: usize) -> String {
        let mut out = self.paragraph(1, 4);
        while out.len() < target_len {
            out.push_str("\n\n");
            match self.rng.below(7) {
                0 | 1 => out.push_str(&self.paragraph(2, 5)),
                2 => {
                    let h = *self.rng.pick(&[
                        "What changed",
                        "Root cause",
                        "Findings",
                        "Next steps",
                        "Verification",
                        "Notes",
                        "Details",
                        "Open questions",
                    ]);
                    if self.rng.chance(0.5) {
                        let _ = write!(out, "## {h}\n\n");
                    } else {
                        let _ = write!(out, "**{h}**\n\n");
                    }
                    out.push_str(&self.paragraph(1, 3));
                }
                3 | 4 => {
                    let k = 2 + self.rng.below(5);
                    for i in 0..k {
                        if i > 0 {
                            out.push('\n');
                        }
                        if self.rng.chance(0.4) {
                            let f = self.file();
                            let l = self.rng.range(1, 700);
                            let _ = write!(out, "- `{f}:{l}`: {}", self.sentence());
                        } else {
                            let _ = write!(out, "- {}", self.sentence());
                        }
                    }
                }
                5 => {
                    let fl = self.fence_lang();
                    let _ = writeln!(out, "```{fl}");
                    let n = 3 + self.rng.below(16);
                    self.code_lines(n, &mut out);
                    out.push_str("```");
                }
                _ => {
                    let f = self.file();
                    let _ = write!(
                        out,
                        "```diff\n--- a/{f}\n+++ b/{f}\n@@ -{},{} +{},{} @@\n",
                        self.rng.range(1, 400),
                        self.rng.range(3, 12),
                        self.rng.range(1, 400),
                        self.rng.range(3, 14)
                    );
                    let n = 3 + self.rng.below(10);
                    let mut tmp = String::new();
                    self.code_lines(n, &mut tmp);
                    for line in tmp.lines() {
                        let p = *self.rng.pick(&[" ", " ", "-", "+", "+"]);
                        let _ = writeln!(out, "{p}{line}");
                    }
                    out.push_str("```");
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Log writer
// ---------------------------------------------------------------------------

struct Log {
    buf: String,
    t: i64,
}

impl Log {
    fn line(&mut self, msg: &str) {
        self.buf.push('[');
        self.buf.push_str(&iso(self.t));
        self.buf.push_str("] ");
        self.buf.push_str(msg.trim());
        self.buf.push('\n');
    }
    fn block(&mut self, title: &str, body: &str) {
        self.buf.push_str("\n[");
        self.buf.push_str(&iso(self.t));
        self.buf.push_str("] ");
        self.buf.push_str(title);
        self.buf.push('\n');
        self.buf.push_str(body.trim_end());
        self.buf.push('\n');
    }
    fn adv(&mut self, rng: &mut Rng, lo: i64, hi: i64) {
        self.t += rng.range(lo, hi);
    }
}

fn collapse(x: &str) -> String {
    x.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn short96(x: &str) -> String {
    let c = collapse(x);
    if c.chars().count() > 96 {
        let mut t: String = c.chars().take(93).collect();
        t.push_str("...");
        t
    } else {
        c
    }
}

fn first_line(x: &str) -> Option<String> {
    x.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

// ---------------------------------------------------------------------------
// Workspace / job model
// ---------------------------------------------------------------------------

struct Workspace {
    os: Os,
    lang: Lang,
    root: String,     // workspaceRoot as stored (git toplevel)
    dir_name: String, // <slug>-<hash>
    data_dir: String, // CLAUDE_PLUGIN_DATA as an absolute path on the user's machine
    sep: char,
    shell: String,
    broker_tmp: String,
}

fn uuid_v4(rng: &mut Rng) -> String {
    let h = rng.hex(32);
    let variant = *rng.pick(&['8', '9', 'a', 'b']);
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

fn uuid_v7(rng: &mut Rng, ms: i64) -> String {
    let t = format!("{:012x}", ms as u64 & 0xffff_ffff_ffff);
    let h = rng.hex(20);
    let variant = *rng.pick(&['8', '9', 'a', 'b']);
    format!(
        "{}-{}-7{}-{}{}-{}",
        &t[0..8],
        &t[8..12],
        &h[0..3],
        variant,
        &h[3..6],
        &h[6..18]
    )
}

fn make_workspace(rng: &mut Rng, used: &mut BTreeSet<String>) -> Workspace {
    loop {
        let os = match rng.weighted(&[55, 30, 15]) {
            0 => Os::Linux,
            1 => Os::Mac,
            _ => Os::Windows,
        };
        let mut lang = match rng.weighted(&[34, 20, 14, 14, 9, 9]) {
            0 => Lang::Ts,
            1 => Lang::Py,
            2 => Lang::Rust,
            3 => Lang::Go,
            4 => Lang::Java,
            _ => Lang::CSharp,
        };
        if os == Os::Windows && rng.chance(0.35) {
            lang = Lang::CSharp;
        }
        let mut name = format!("{}-{}", rng.pick(REPO_A), rng.pick(REPO_B));
        if rng.chance(0.1) {
            name.push_str(rng.pk(&["-v2", "-next", "-legacy", "-2", "_old", ".wt"]));
        }
        if rng.chance(0.05) {
            name = pascal(&name.replace('-', ""));
        }
        let user = (*rng.pick(USERS)).to_string();
        let parent = *rng.pick(&["src", "code", "work", "projects", "repos", "git"]);
        let (root, canonical, data_dir, sep, shell, broker_tmp) = match os {
            Os::Linux => {
                let root = format!("/home/{user}/{parent}/{name}");
                (
                    root.clone(),
                    root,
                    format!("/home/{user}/.claude/plugins/data/codex-openai-codex"),
                    '/',
                    "/bin/bash -lc".to_string(),
                    "/tmp".to_string(),
                )
            }
            Os::Mac => {
                let root = format!("/Users/{user}/{parent}/{name}");
                let sh = if rng.chance(0.85) {
                    "/bin/zsh -lc"
                } else {
                    "/bin/bash -lc"
                };
                let tmp = format!(
                    "/var/folders/{}/{}/T",
                    rng.alnum(2, B36),
                    rng.alnum(30, B36)
                );
                (
                    root.clone(),
                    root,
                    format!("/Users/{user}/.claude/plugins/data/codex-openai-codex"),
                    '/',
                    sh.to_string(),
                    tmp,
                )
            }
            Os::Windows => {
                let root = format!("C:/Users/{user}/{parent}/{name}");
                let canonical = root.replace('/', "\\");
                let sh = if rng.chance(0.7) {
                    "\"C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -Command"
                } else {
                    "\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\" -Command"
                };
                (
                    root,
                    canonical,
                    format!("C:\\Users\\{user}\\.claude\\plugins\\data\\codex-openai-codex"),
                    '\\',
                    sh.to_string(),
                    format!("C:\\Users\\{user}\\AppData\\Local\\Temp"),
                )
            }
        };
        let slug_src = name.as_str();
        let mut slug = String::new();
        let mut last_dash = false;
        for c in slug_src.chars() {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                slug.push(c);
                last_dash = false;
            } else if !last_dash {
                slug.push('-');
                last_dash = true;
            }
        }
        let slug = slug.trim_matches('-').to_string();
        let slug = if slug.is_empty() {
            "workspace".to_string()
        } else {
            slug
        };
        let digest = Sha256::digest(canonical.as_bytes());
        let mut hash = String::with_capacity(16);
        for b in &digest[..8] {
            let _ = write!(hash, "{b:02x}");
        }
        let dir_name = format!("{slug}-{hash}");
        if !used.insert(dir_name.clone()) {
            continue;
        }
        return Workspace {
            os,
            lang,
            root,
            dir_name,
            data_dir,
            sep,
            shell,
            broker_tmp,
        };
    }
}

impl Workspace {
    fn log_file(&self, id: &str) -> String {
        let s = self.sep;
        format!(
            "{}{s}state{s}{}{s}jobs{s}{id}.log",
            self.data_dir, self.dir_name
        )
    }
    fn wrap_cmd(&self, inner: &str) -> String {
        format!("{} '{inner}'", self.shell)
    }
    fn broker_json(&self, rng: &mut Rng) -> String {
        let tag = rng.alnum(6, B62);
        let pid = rng.range(1200, 64000);
        let (endpoint, dir) = match self.os {
            Os::Windows => (
                format!("pipe:\\\\.\\pipe\\cxc-{tag}-codex-app-server"),
                format!("{}\\cxc-{tag}", self.broker_tmp),
            ),
            _ => {
                let d = format!("{}/cxc-{tag}", self.broker_tmp);
                (format!("unix:{d}/broker.sock"), d)
            }
        };
        let sep = if self.os == Os::Windows { '\\' } else { '/' };
        J::Obj(vec![
            ("endpoint", s(endpoint)),
            ("pidFile", s(format!("{dir}{sep}broker.pid"))),
            ("logFile", s(format!("{dir}{sep}broker.log"))),
            ("sessionDir", s(dir)),
            ("pid", J::Int(pid)),
        ])
        .pretty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Task,
    Review,
    Adversarial,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fail {
    UsageLimit,
    ContextWindow,
    AuthRefresh,
    ModelNotSupported,
    StreamDisconnected,
    Sandbox1920,
    SandboxSetupRefresh,
    SandboxBlockedPolicy,
    Bwrap,
    SpawnEnoent,
    NotAuthenticated,
    AppServerClosed,
    TurnStall,
    ErrorNotificationHang,
    WedgedMidCommand,
    McpRejected,
    AdvInvalidJson,
    BrokerStale,
    GitbashDeclined,
    Eisdir,
    Enobufs,
}

const FAILS: &[(Fail, u32)] = &[
    (Fail::UsageLimit, 12),
    (Fail::ContextWindow, 7),
    (Fail::AuthRefresh, 6),
    (Fail::ModelNotSupported, 5),
    (Fail::StreamDisconnected, 8),
    (Fail::Sandbox1920, 4),
    (Fail::SandboxSetupRefresh, 3),
    (Fail::SandboxBlockedPolicy, 3),
    (Fail::Bwrap, 4),
    (Fail::SpawnEnoent, 3),
    (Fail::NotAuthenticated, 4),
    (Fail::AppServerClosed, 5),
    (Fail::TurnStall, 7),
    (Fail::ErrorNotificationHang, 5),
    (Fail::WedgedMidCommand, 7),
    (Fail::McpRejected, 5),
    (Fail::AdvInvalidJson, 5),
    (Fail::BrokerStale, 4),
    (Fail::GitbashDeclined, 3),
    (Fail::Eisdir, 2),
    (Fail::Enobufs, 2),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Completed,
    Cancelled,
    CancelledQueued,
    Interrupted,
    Queued,
    Live,
    Fail(Fail),
}

const USAGE_LIMIT_MSGS: &[&str] = &[
    "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at",
    "You've hit your usage limit. To get more access now, send a request to your admin or try again at",
    "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in",
];
const CONTEXT_MSGS: &[&str] = &[
    "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    "Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.",
];
const AUTH_MSGS: &[&str] = &[
    "Failed to refresh token: 401 Unauthorized: Your refresh token has already been used to generate a new access token. Please try signing in again.",
    "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.",
];
const STREAM_MSGS: &[&str] = &[
    "stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses)",
    "stream disconnected before completion: stream closed before response.completed",
    "stream disconnected before completion: websocket closed by server before response.completed",
];
const BWRAP_MSGS: &[&str] = &[
    "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces.",
    "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted",
    "bwrap: setting up uid map: Permission denied",
    "bwrap: Creating new namespace failed: Operation not permitted",
];
const SERVER_500: &str = "unexpected status 500 Internal Server Error: {\"error\":{\"message\":\"An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.\",\"type\":\"server_error\"}}";

struct Job {
    id: String,
    json: String,
    log: String,
    index: J,
    updated_at: String,
}

struct Session {
    id: Option<String>,
}

/// Picks a target log size in bytes (median ~19 KiB, tail to ~400 KiB).
fn log_target(rng: &mut Rng) -> usize {
    const B: &[(usize, usize, u32)] = &[
        (2, 5, 150),
        (5, 10, 170),
        (10, 16, 200),
        (16, 26, 220),
        (26, 40, 130),
        (40, 64, 75),
        (64, 110, 35),
        (110, 200, 14),
        (200, 380, 6),
    ];
    let w: Vec<u32> = B.iter().map(|b| b.2).collect();
    let (lo, hi, _) = B[rng.weighted(&w)];
    rng.range((lo * 1024) as i64, (hi * 1024) as i64) as usize
}

struct Gen<'a> {
    ws: &'a Workspace,
    rng: Rng,
    thread_ids: Vec<String>,
}

struct JobPlan {
    kind: Kind,
    background: bool,
    resume: bool,
    stop_gate: bool,
    write: bool,
    outcome: Outcome,
    created: i64,
    session: Option<String>,
    log_budget: usize,
}

impl Gen<'_> {
    fn ctx(&mut self) -> Ctx<'_> {
        Ctx {
            rng: &mut self.rng,
            lang: self.ws.lang,
        }
    }

    fn prompt(&mut self) -> String {
        let mut c = self.ctx();
        let f = c.file();
        let a = c.ident();
        let n = c.noun();
        let adj = *c.rng.pick(ADJS);
        let e = *c.rng.pick(ERR_KINDS);
        let t = c.type_name();
        let base = match c.rng.below(22) {
            0 => format!("investigate why the {n} test is flaky on CI"),
            1 => format!("fix the failing {n} tests"),
            2 => format!("add retry with jitter to the {n} client"),
            3 => format!("find why {t} returns 500 for an {adj} {n}"),
            4 => format!("refactor {f} so {a} no longer mutates its input"),
            5 => format!("explain how {a} handles {adj} {n}s"),
            6 => format!("write tests for {a} in {f}"),
            7 => format!("the build fails with {e} in {f}, fix it"),
            8 => format!("audit the {n} module for {e} risks"),
            9 => "summarize what this repository does".to_string(),
            10 => format!("migrate {f} from callbacks to async/await"),
            11 => format!("check why the nightly {n} job skips {adj} partitions"),
            12 => format!(
                "profile {a} and make it faster, it takes ~{}s on large inputs",
                c.rng.range(2, 90)
            ),
            13 => format!("review my changes to {f} before I open the PR"),
            14 => format!("add a --dry-run flag to the {n} command"),
            15 => format!("find dead code in the {n} rules"),
            16 => format!("why does {a} throw {e} when the {n} is {adj}?"),
            17 => format!("update the {n} docs to match the new {t} API"),
            18 => format!("bump the {n} dependency and fix whatever breaks"),
            19 => format!("look at {f} and tell me if the locking is correct"),
            20 => format!("implement pagination for the {n} endpoint"),
            _ => format!("reproduce the {e} reported in the {n} issue and propose a fix"),
        };
        if c.rng.chance(0.35) {
            let extra = c.paragraph(1, 3);
            format!("{base}. {extra}")
        } else {
            base
        }
    }

    fn cmd_pair(&mut self, log: &mut Log, inner: &str, status: &str, exit: &str, dur: (i64, i64)) {
        let full = self.ws.wrap_cmd(inner);
        let c = short96(&full);
        log.line(&format!("Running command: {c}"));
        log.adv(&mut self.rng, dur.0, dur.1);
        log.line(&format!("Command {status}: {c} (exit {exit})"));
    }

    /// Emits a realistic sequence of turn events until the log reaches `target` bytes.
    /// Returns (touchedFiles, reasoning sections, last phase).
    fn turn_body(
        &mut self,
        log: &mut Log,
        target: usize,
        kind: Kind,
        write: bool,
    ) -> (Vec<String>, Vec<String>, &'static str) {
        let mut touched = Vec::new();
        let mut reasoning = Vec::new();
        let mut phase = "starting";
        if kind == Kind::Review {
            phase = "reviewing";
        }
        let mut steps = 0;
        while log.buf.len() < target || steps == 0 {
            steps += 1;
            let w: [u32; 9] = [
                10,                        // reasoning
                38,                        // read command
                12,                        // test/lint command
                if write { 9 } else { 1 }, // file change
                4,                         // mcp
                1,                         // web search
                8,                         // commentary message
                1,                         // subagent
                1,                         // dynamic tool
            ];
            log.adv(&mut self.rng, 300, 9000);
            match self.rng.weighted(&w) {
                0 => {
                    let k = 1 + self.rng.weighted(&[6, 3, 1]);
                    let secs: Vec<String> =
                        (0..k).map(|_| self.ctx().reasoning_section()).collect();
                    let first = short96(&secs[0]);
                    log.line(&format!("Reasoning summary captured: {first}"));
                    let body: Vec<String> =
                        secs.iter().map(|x| format!("- {}", collapse(x))).collect();
                    log.block("Reasoning summary", &body.join("\n"));
                    for x in secs {
                        let c = collapse(&x);
                        if !reasoning.contains(&c) {
                            reasoning.push(c);
                        }
                    }
                }
                1 => {
                    let inner = self.ctx().read_cmd();
                    let (st, ex) = if self.rng.chance(0.1) {
                        ("failed", "1")
                    } else if self.rng.chance(0.01) {
                        ("failed", "2")
                    } else {
                        ("completed", "0")
                    };
                    self.cmd_pair(log, &inner, st, ex, (20, 1500));
                    phase = "running";
                }
                2 => {
                    let inner = if self.rng.chance(0.65) {
                        self.ctx().test_cmd()
                    } else {
                        self.ctx().lint_cmd()
                    };
                    let r = self.rng.below(100);
                    let (st, ex) = match r {
                        0..=59 => ("completed", "0".to_string()),
                        60..=89 => (
                            "failed",
                            (*self.rng.pick(&["1", "1", "1", "2", "101", "124", "137"]))
                                .to_string(),
                        ),
                        90..=95 => ("failed", "127".to_string()),
                        _ => ("declined", "?".to_string()),
                    };
                    let ex = if self.ws.lang == Lang::Rust
                        && ex == "1"
                        && inner.starts_with("cargo test")
                    {
                        "101".to_string()
                    } else {
                        ex
                    };
                    self.cmd_pair(log, &inner, st, &ex, (2000, 120_000));
                    phase = "verifying";
                }
                3 => {
                    let n = 1 + self.rng.below(4);
                    log.line(&format!("Applying {n} file change(s)."));
                    log.adv(&mut self.rng, 100, 800);
                    let st = if self.rng.chance(0.04) {
                        "failed"
                    } else if self.rng.chance(0.02) {
                        "declined"
                    } else {
                        "completed"
                    };
                    log.line(&format!("File changes {st}."));
                    for _ in 0..n {
                        let f = self.ctx().file();
                        if !touched.contains(&f) {
                            touched.push(f);
                        }
                    }
                    phase = "editing";
                }
                4 => {
                    let (srv, tool) = *self.rng.pick(MCP_TOOLS);
                    log.line(&format!("Calling {srv}/{tool}."));
                    log.adv(&mut self.rng, 200, 6000);
                    let st = if self.rng.chance(0.12) {
                        "failed"
                    } else {
                        "completed"
                    };
                    log.line(&format!("Tool {srv}/{tool} {st}."));
                    phase = "investigating";
                }
                5 => {
                    let mut c = self.ctx();
                    let q = format!(
                        "{} {} {}",
                        c.noun(),
                        c.rng.pick(ERR_KINDS),
                        c.rng.pick(&[
                            "site:github.com",
                            "docs",
                            "changelog",
                            "stack overflow",
                            "release notes",
                            "rfc"
                        ])
                    );
                    log.line(&format!("Searching: {}", short96(&q)));
                    phase = "investigating";
                }
                6 => {
                    let len = self.rng.range(150, 2500) as usize;
                    let text = self.ctx().markdown(len);
                    log.line(&format!("Assistant message captured: {}", short96(&text)));
                    log.block("Assistant message", &text);
                }
                7 => {
                    let label = (*self.rng.pick(SUBAGENTS)).to_string();
                    let tool = *self.rng.pick(&["spawn_agent", "wait", "send_input"]);
                    log.line(&format!(
                        "Starting subagent {label} via collaboration tool: {tool}."
                    ));
                    log.adv(&mut self.rng, 50, 400);
                    let tid = uuid_v7(&mut self.rng, log.t);
                    log.line(&format!("Turn started ({tid})."));
                    log.adv(&mut self.rng, 2000, 30000);
                    let sec = self.ctx().reasoning_section();
                    log.line(&format!("Subagent {label} reasoning: {}", short96(&sec)));
                    log.block(
                        &format!("Subagent {label} reasoning summary"),
                        &format!("- {}", collapse(&sec)),
                    );
                    let len = self.rng.range(100, 1200) as usize;
                    let msg = self.ctx().markdown(len);
                    log.line(&format!("Subagent {label}: {}", short96(&msg)));
                    log.block(&format!("Subagent {label} message"), &msg);
                    log.line(&format!("Subagent {label} completed."));
                    let c = collapse(&sec);
                    if !reasoning.contains(&c) {
                        reasoning.push(c);
                    }
                    phase = "investigating";
                }
                _ => {
                    let tool = *self.rng.pick(&[
                        "view_image",
                        "apply_patch",
                        "update_plan",
                        "read_mcp_resource",
                    ]);
                    log.line(&format!("Running tool: {tool}."));
                    log.adv(&mut self.rng, 20, 600);
                    log.line(&format!("Tool {tool} completed."));
                    phase = "investigating";
                }
            }
        }
        (touched, reasoning, phase)
    }

    fn plan(
        &mut self,
        created: i64,
        session: Option<String>,
        fail_rate: f64,
        budget: usize,
        newest: bool,
    ) -> JobPlan {
        let kind = match self.rng.weighted(&[66, 20, 14]) {
            0 => Kind::Task,
            1 => Kind::Review,
            _ => Kind::Adversarial,
        };
        let mut background = kind == Kind::Task && self.rng.chance(0.35);
        let resume = kind == Kind::Task && !self.thread_ids.is_empty() && self.rng.chance(0.09);
        let stop_gate = kind == Kind::Task && !resume && self.rng.chance(0.03);
        if stop_gate {
            background = false;
        }
        let write = kind == Kind::Task && !stop_gate && self.rng.chance(0.45);
        let mut outcome = if self.rng.chance(fail_rate) {
            let w: Vec<u32> = FAILS.iter().map(|f| f.1).collect();
            let mut chosen = None;
            for _ in 0..20 {
                let f = FAILS[self.rng.weighted(&w)].0;
                if self.fail_fits(f, kind, background) {
                    chosen = Some(f);
                    break;
                }
            }
            Outcome::Fail(chosen.unwrap_or(Fail::UsageLimit))
        } else {
            let r = self.rng.below(1000);
            match r {
                0..=24 => Outcome::Cancelled,
                25..=29 => Outcome::Interrupted,
                _ => Outcome::Completed,
            }
        };
        if outcome == Outcome::Completed && newest && self.rng.chance(0.12) {
            outcome = if background && self.rng.chance(0.3) {
                Outcome::Queued
            } else {
                Outcome::Live
            };
        }
        if outcome == Outcome::Cancelled && background && self.rng.chance(0.15) {
            outcome = Outcome::CancelledQueued;
        }
        if let Outcome::Fail(Fail::ModelNotSupported) = outcome {
            // Only meaningful with an explicit model flag; keep it on background tasks when possible.
            if kind == Kind::Task && self.rng.chance(0.6) {
                background = true;
            }
        }
        if matches!(outcome, Outcome::Fail(Fail::TurnStall | Fail::BrokerStale))
            && kind == Kind::Task
            && self.rng.chance(0.7)
        {
            background = true;
        }
        let mut log_budget = log_target(&mut self.rng);
        if kind != Kind::Task {
            log_budget = log_budget * 3 / 5;
        }
        let log_budget = log_budget.min(budget.max(600));
        JobPlan {
            kind,
            background,
            resume,
            stop_gate,
            write,
            outcome,
            created,
            session,
            log_budget,
        }
    }

    fn fail_fits(&self, f: Fail, kind: Kind, _background: bool) -> bool {
        let win = self.ws.os == Os::Windows;
        match f {
            Fail::Sandbox1920 | Fail::SandboxSetupRefresh | Fail::SpawnEnoent => win,
            Fail::SandboxBlockedPolicy => win && kind != Kind::Task,
            Fail::GitbashDeclined => win && kind == Kind::Review,
            Fail::Bwrap => self.ws.os == Os::Linux,
            Fail::AdvInvalidJson => kind == Kind::Adversarial,
            Fail::Eisdir | Fail::Enobufs => kind != Kind::Task,
            Fail::ModelNotSupported | Fail::McpRejected | Fail::TurnStall | Fail::BrokerStale => {
                kind == Kind::Task
            }
            _ => true,
        }
    }

    fn job(&mut self, p: &JobPlan) -> Job {
        let ws = self.ws;
        let prefix = if p.kind == Kind::Task {
            "task"
        } else {
            "review"
        };
        let id = format!(
            "{prefix}-{}-{}",
            base36(p.created as u64),
            self.rng.alnum(6, B36)
        );
        let (kind_s, label, title, job_class) = match p.kind {
            Kind::Task => (
                "task",
                "rescue",
                if p.stop_gate {
                    "Codex Stop Gate Review"
                } else if p.resume {
                    "Codex Resume"
                } else {
                    "Codex Task"
                },
                "task",
            ),
            Kind::Review => ("review", "review", "Codex Review", "review"),
            Kind::Adversarial => (
                "adversarial-review",
                "adversarial-review",
                "Codex Adversarial Review",
                "review",
            ),
        };
        // Review target.
        let branch_target = p.kind != Kind::Task && self.rng.chance(0.35);
        let base_ref = (*self.rng.pick(BRANCHES)).to_string();
        let target_label = if branch_target {
            format!("branch diff against {base_ref}")
        } else {
            "working tree diff".to_string()
        };
        // Prompt / initial summary.
        let prompt = if p.stop_gate {
            "Run a stop-gate review of the previous Claude turn.".to_string()
        } else if p.resume && self.rng.chance(0.3) {
            String::new()
        } else {
            self.prompt()
        };
        let init_summary = match p.kind {
            Kind::Task if p.stop_gate => "Stop-gate review of previous Claude turn".to_string(),
            Kind::Task if prompt.is_empty() && p.resume => "Continue from the current thread state. Pick the next highest-value step and follow through u...".to_string(),
            Kind::Task if prompt.is_empty() => "Task".to_string(),
            Kind::Task => short96(&prompt),
            Kind::Review => format!("Review {target_label}"),
            Kind::Adversarial => format!("Adversarial Review {target_label}"),
        };
        let (model, effort) = if p.background {
            let m = if matches!(p.outcome, Outcome::Fail(Fail::ModelNotSupported))
                || self.rng.chance(0.4)
            {
                Some((*self.rng.pick(MODELS)).to_string())
            } else {
                None
            };
            let e = if self.rng.chance(0.35) {
                Some((*self.rng.pick(EFFORTS)).to_string())
            } else {
                None
            };
            (m, e)
        } else {
            (None, None)
        };
        let request = if p.background {
            let cwd = if self.rng.chance(0.2) {
                let sub = *self.rng.pick(MODULES);
                format!("{}/{}", ws.root, sub)
            } else {
                ws.root.clone()
            };
            Some(J::Obj(vec![
                ("cwd", s(cwd)),
                ("model", opt_s(&model)),
                ("effort", opt_s(&effort)),
                ("prompt", s(prompt.clone())),
                ("write", J::Bool(p.write)),
                ("resumeLast", J::Bool(p.resume)),
                ("jobId", s(id.clone())),
            ]))
        } else {
            None
        };

        let mut log = Log {
            buf: String::with_capacity(p.log_budget + 4096),
            t: p.created + self.rng.range(4, 9),
        };
        let mut started_at: Option<i64> = None;
        let mut thread: Option<String> = None;
        let mut turn: Option<String> = None;
        let status: &str;
        let mut phase: &str;
        let pid: Option<i64>;
        let mut completed_at: Option<i64> = None;
        let error_message: Option<String> = None;
        let cancelled = false;
        let mut result: Option<J> = None;
        let mut rendered: Option<String> = None;
        let index_summary: Option<String>;
        let drop_turn_in_file = false;
        let worker_pid = self.rng.range(1500, 65000);

        log.line(&format!("Starting {title}."));
        if p.background {
            log.line("Queued for background execution.");
        }
        let fail = match p.outcome {
            Outcome::Fail(f) => Some(f),
            _ => None,
        };

        // --- queued-only outcomes -------------------------------------------------
        if matches!(p.outcome, Outcome::Queued | Outcome::CancelledQueued) {
            let queued_upd = log.t;
            if p.outcome == Outcome::Queued {
                status = "queued";
                phase = "queued";
                pid = Some(worker_pid);
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary: init_summary.clone(),
                        index_summary: None,
                        status,
                        phase,
                        pid,
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at,
                        error_message,
                        cancelled,
                        result,
                        rendered,
                        updated: queued_upd,
                        stale_updated: None,
                        drop_turn_in_file,
                        log,
                    },
                );
            }
            log.adv(&mut self.rng, 200, 4000);
            log.line("Cancelled by user.");
            let t = log.t;
            return finish(
                self.ws,
                FinishArgs {
                    p,
                    id,
                    kind_s,
                    label,
                    title,
                    job_class,
                    init_summary,
                    index_summary: None,
                    status: "cancelled",
                    phase: "cancelled",
                    pid: None,
                    request,
                    started_at: None,
                    thread: None,
                    turn: None,
                    completed_at: Some(t),
                    error_message: Some("Cancelled by user.".into()),
                    cancelled: true,
                    result: None,
                    rendered: None,
                    updated: t + self.rng.range(3, 12),
                    stale_updated: Some(queued_upd),
                    drop_turn_in_file: false,
                    log,
                },
            );
        }

        // --- run start ---------------------------------------------------------------
        let start = if p.background {
            log.t + self.rng.range(100, 400)
        } else {
            log.t
        };
        started_at = Some(start);
        log.t = start;
        let run_pid = if p.background {
            worker_pid
        } else {
            self.rng.range(1500, 65000)
        };

        // Exceptions before the thread exists: no log line at all.
        if let Some(
            f @ (Fail::SpawnEnoent | Fail::NotAuthenticated | Fail::Eisdir | Fail::Enobufs),
        ) = fail
        {
            log.adv(&mut self.rng, 300, 3000);
            let msg = match f {
                Fail::SpawnEnoent => "spawn codex ENOENT",
                Fail::NotAuthenticated => {
                    "Codex CLI is not authenticated. Run `!codex login` and retry."
                }
                Fail::Eisdir => "EISDIR: illegal operation on a directory, read",
                _ => {
                    if ws.os == Os::Windows {
                        "spawnSync C:\\Windows\\system32\\cmd.exe ENOBUFS"
                    } else {
                        "spawnSync git ENOBUFS"
                    }
                }
            };
            let t = log.t;
            return finish(
                self.ws,
                FinishArgs {
                    p,
                    id,
                    kind_s,
                    label,
                    title,
                    job_class,
                    init_summary,
                    index_summary: None,
                    status: "failed",
                    phase: "failed",
                    pid: None,
                    request,
                    started_at,
                    thread: None,
                    turn: None,
                    completed_at: Some(t),
                    error_message: Some(msg.into()),
                    cancelled: false,
                    result: None,
                    rendered: None,
                    updated: t + self.rng.range(3, 12),
                    stale_updated: None,
                    drop_turn_in_file: false,
                    log,
                },
            );
        }

        log.adv(&mut self.rng, 300, 900);
        let resumed_thread = if p.resume {
            Some(self.rng.pick(&self.thread_ids).clone())
        } else {
            None
        };
        match (&resumed_thread, p.kind) {
            (Some(t), _) => log.line(&format!("Resuming thread {t}.")),
            (None, Kind::Review) => log.line("Starting Codex review thread."),
            _ => log.line("Starting Codex task thread."),
        }
        if fail == Some(Fail::AppServerClosed) {
            log.adv(&mut self.rng, 500, 20000);
            let t = log.t;
            return finish(
                self.ws,
                FinishArgs {
                    p,
                    id,
                    kind_s,
                    label,
                    title,
                    job_class,
                    init_summary,
                    index_summary: None,
                    status: "failed",
                    phase: "failed",
                    pid: None,
                    request,
                    started_at,
                    thread: None,
                    turn: None,
                    completed_at: Some(t),
                    error_message: Some("codex app-server connection closed.".into()),
                    cancelled: false,
                    result: None,
                    rendered: None,
                    updated: t + self.rng.range(3, 12),
                    stale_updated: None,
                    drop_turn_in_file: false,
                    log,
                },
            );
        }
        log.adv(&mut self.rng, 900, 2500);
        let tid = resumed_thread.unwrap_or_else(|| uuid_v7(&mut self.rng, log.t));
        log.line(&format!("Thread ready ({tid})."));
        thread = Some(tid.clone());
        self.thread_ids.push(tid.clone());
        if self.thread_ids.len() > 8 {
            self.thread_ids.remove(0);
        }
        log.adv(&mut self.rng, 40, 120);
        let turn_id = uuid_v7(&mut self.rng, log.t);
        log.line(&format!("Turn started ({turn_id})."));
        turn = Some(turn_id.clone());
        phase = "starting";

        if fail == Some(Fail::TurnStall) {
            status = "running";
            pid = Some(run_pid);
            let upd = log.t;
            return finish(
                self.ws,
                FinishArgs {
                    p,
                    id,
                    kind_s,
                    label,
                    title,
                    job_class,
                    init_summary,
                    index_summary: None,
                    status,
                    phase,
                    pid,
                    request,
                    started_at,
                    thread,
                    turn,
                    completed_at: None,
                    error_message: None,
                    cancelled: false,
                    result: None,
                    rendered: None,
                    updated: upd,
                    stale_updated: None,
                    drop_turn_in_file: p.background && self.rng.chance(0.2),
                    log,
                },
            );
        }

        if p.kind == Kind::Review {
            log.adv(&mut self.rng, 15, 60);
            let what = if branch_target {
                format!("changes against '{base_ref}'")
            } else {
                "current changes".to_string()
            };
            log.line(&format!("Reviewer started: {what}"));
            phase = "reviewing";
        }

        // Budget for the turn body.
        let target = p.log_budget.saturating_sub(1200);
        let short_failure = matches!(
            fail,
            Some(
                Fail::UsageLimit
                    | Fail::AuthRefresh
                    | Fail::ModelNotSupported
                    | Fail::ContextWindow
            )
        );
        let (mut touched, mut reasoning_secs, body_phase) = if short_failure {
            let t = if fail == Some(Fail::ModelNotSupported) {
                0
            } else {
                target.min(6000)
            };
            if t > log.buf.len() {
                self.turn_body(&mut log, t, p.kind, p.write)
            } else {
                (Vec::new(), Vec::new(), phase)
            }
        } else {
            let t = match fail {
                Some(
                    Fail::Sandbox1920
                    | Fail::SandboxSetupRefresh
                    | Fail::SandboxBlockedPolicy
                    | Fail::Bwrap
                    | Fail::GitbashDeclined
                    | Fail::McpRejected,
                ) => target.min(3000),
                _ => target,
            };
            self.turn_body(&mut log, t, p.kind, p.write)
        };
        phase = body_phase;
        if p.kind == Kind::Review && phase != "reviewing" && self.rng.chance(0.5) {
            phase = "reviewing";
        }

        // --- failure-specific tails ---------------------------------------------------
        let mut final_message: Option<String> = None;
        let mut turn_status = "completed";
        let mut codex_error: Option<String> = None;
        match fail {
            Some(Fail::UsageLimit) => {
                log.adv(&mut self.rng, 1000, 8000);
                let base = *self.rng.pick(USAGE_LIMIT_MSGS);
                let msg = if base.ends_with(" in") {
                    format!(
                        "{base} {} days {} hours {} minutes.",
                        self.rng.range(1, 6),
                        self.rng.range(0, 23),
                        self.rng.range(1, 59)
                    )
                } else {
                    format!(
                        "{base} {}:{:02} {}.",
                        self.rng.range(1, 12),
                        self.rng.range(0, 59),
                        self.rng.pick(&["AM", "PM"])
                    )
                };
                codex_error = Some(msg);
                turn_status = "failed";
            }
            Some(Fail::ContextWindow) => {
                log.adv(&mut self.rng, 3000, 20000);
                codex_error = Some((*self.rng.pick(CONTEXT_MSGS)).to_string());
                turn_status = "failed";
            }
            Some(Fail::AuthRefresh) => {
                log.adv(&mut self.rng, 1000, 4000);
                codex_error = Some((*self.rng.pick(AUTH_MSGS)).to_string());
                turn_status = "failed";
            }
            Some(Fail::ModelNotSupported) => {
                log.adv(&mut self.rng, 500, 1500);
                let m = model.clone().unwrap_or_else(|| "gpt-5.3-codex".into());
                codex_error = Some(format!(
                    "{{\"type\":\"error\",\"status\":400,\"error\":{{\"type\":\"invalid_request_error\",\"message\":\"The '{m}' model is not supported when using Codex with a ChatGPT account.\"}}}}"
                ));
                turn_status = "failed";
            }
            Some(Fail::StreamDisconnected) => {
                let m = *self.rng.pick(STREAM_MSGS);
                let mut wait = 2000;
                for i in 1..=5 {
                    log.adv(&mut self.rng, wait, wait + 100);
                    log.line(&format!("Codex error: Reconnecting... {i}/5 ({m})"));
                    wait *= 2;
                }
                log.adv(&mut self.rng, 30000, 32000);
                codex_error = Some(m.to_string());
                turn_status = "failed";
            }
            Some(Fail::ErrorNotificationHang) => {
                log.adv(&mut self.rng, 5000, 40000);
                log.line(&format!("Codex error: {SERVER_500}"));
                let upd = log.t + self.rng.range(1, 4);
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "running",
                        phase: "failed",
                        pid: Some(run_pid),
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: None,
                        error_message: None,
                        cancelled: false,
                        result: None,
                        rendered: None,
                        updated: upd,
                        stale_updated: None,
                        drop_turn_in_file: false,
                        log,
                    },
                );
            }
            Some(Fail::WedgedMidCommand) => {
                log.adv(&mut self.rng, 500, 3000);
                let inner = if self.rng.chance(0.5) {
                    self.ctx().test_cmd()
                } else {
                    self.ctx().read_cmd()
                };
                let c = short96(&ws.wrap_cmd(&inner));
                log.line(&format!("Running command: {c}"));
                let upd = log.t;
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "running",
                        phase: "running",
                        pid: Some(run_pid),
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: None,
                        error_message: None,
                        cancelled: false,
                        result: None,
                        rendered: None,
                        updated: upd,
                        stale_updated: None,
                        drop_turn_in_file: p.background && self.rng.chance(0.25),
                        log,
                    },
                );
            }
            Some(Fail::GitbashDeclined) => {
                for inner in ["Write-Output hi", "git status -v", "git diff"] {
                    log.adv(&mut self.rng, 1200, 1800);
                    let c = format!("powershell.exe -Command '{inner}'");
                    log.line(&format!("Running command: {c}"));
                    log.adv(&mut self.rng, 30, 60);
                    log.line(&format!("Command declined: {c} (exit -1)"));
                }
                log.adv(&mut self.rng, 1200, 1800);
                log.line("Calling ide/getDiagnostics.");
                let upd = log.t;
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "running",
                        phase: "investigating",
                        pid: Some(run_pid),
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: None,
                        error_message: None,
                        cancelled: false,
                        result: None,
                        rendered: None,
                        updated: upd,
                        stale_updated: None,
                        drop_turn_in_file: false,
                        log,
                    },
                );
            }
            Some(Fail::BrokerStale) => {
                log.adv(&mut self.rng, 600_000, 3_600_000);
                let tag = self.rng.alnum(6, B62);
                let tmp = if ws.os == Os::Windows {
                    "/tmp".to_string()
                } else {
                    ws.broker_tmp.clone()
                };
                log.line(&format!(
                    "Codex turn interrupt failed: connect ENOENT {tmp}/cxc-{tag}/broker.sock"
                ));
                log.line("Cancelled by user.");
                let t = log.t;
                let stale = t - self.rng.range(600_000, 2_000_000);
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "cancelled",
                        phase: "cancelled",
                        pid: None,
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: Some(t),
                        error_message: Some("Cancelled by user.".into()),
                        cancelled: true,
                        result: None,
                        rendered: None,
                        updated: t + self.rng.range(3, 12),
                        stale_updated: Some(stale.max(p.created)),
                        drop_turn_in_file: false,
                        log,
                    },
                );
            }
            Some(Fail::Sandbox1920 | Fail::SandboxSetupRefresh | Fail::SandboxBlockedPolicy) => {
                let k = 2 + self.rng.below(3);
                let mut ran = Vec::new();
                for _ in 0..k {
                    log.adv(&mut self.rng, 1000, 1500);
                    let inner = match self.rng.below(4) {
                        0 => "git status --short".to_string(),
                        1 => format!("Get-Content {}", self.ctx().file()),
                        2 => format!("rg -n \"{}\" src", self.ctx().type_name()),
                        _ => "git diff --stat".to_string(),
                    };
                    self.cmd_pair(&mut log, &inner, "failed", "-1", (30, 60));
                    ran.push(inner);
                }
                let lit = match fail {
                    Some(Fail::Sandbox1920) => {
                        if self.rng.chance(0.7) {
                            "windows sandbox: runner error: CreateProcessAsUserW failed: 1920"
                        } else {
                            "execution error: Io(Custom { kind: Other, error: \"windows sandbox: runner error: CreateProcessAsUserW failed: 1920\" })"
                        }
                    }
                    Some(Fail::SandboxSetupRefresh) => *self.rng.pick(&[
                        "windows sandbox: spawn setup refresh",
                        "windows sandbox failed: spawn setup refresh",
                        "windows sandbox: setup refresh failed with status exit code: 1",
                    ]),
                    _ => "exec_command failed: CreateProcess",
                };
                let follow = self.ctx().paragraph(1, 2);
                let msg = if fail == Some(Fail::SandboxBlockedPolicy) {
                    format!(
                        "Shell access to inspect the working tree was blocked in this session, so I could not review the staged/unstaged/untracked changes directly.\n\nEvery command was `rejected: blocked by policy` (`{lit}`).\n\n{follow}"
                    )
                } else {
                    format!(
                        "Shell access was blocked, I could not run `{}`: every command failed before the process started with\n\n```\n{lit}\n```\n\n{follow}",
                        ran.join("`, `")
                    )
                };
                final_message = Some(msg);
            }
            Some(Fail::Bwrap) => {
                for _ in 0..(1 + self.rng.below(3)) {
                    log.adv(&mut self.rng, 1000, 1500);
                    let inner = if self.rng.chance(0.5) {
                        self.ctx().read_cmd()
                    } else {
                        self.ctx().test_cmd()
                    };
                    self.cmd_pair(&mut log, &inner, "failed", "1", (30, 60));
                }
                let lit = *self.rng.pick(BWRAP_MSGS);
                let f = self.ctx().file();
                final_message = Some(format!(
                    "I couldn't make the change: every shell command failed inside the sandbox before it ran:\n\n```\n{lit}\n```\n\nThe bubblewrap sandbox cannot start on this host (unprivileged user namespaces are disabled), so I could not read `{f}` or run the tests."
                ));
            }
            Some(Fail::McpRejected) => {
                let (srv, tool) = *self.rng.pick(MCP_TOOLS);
                for _ in 0..2 {
                    log.adv(&mut self.rng, 1000, 1600);
                    log.line(&format!("Calling {srv}/{tool}."));
                    log.adv(&mut self.rng, 30, 60);
                    log.line(&format!("Tool {srv}/{tool} failed."));
                }
                let rest = self.ctx().paragraph(1, 2);
                final_message = Some(format!(
                    "The {srv} MCP server appears to be unavailable in this session: both `{srv}/{tool}` calls failed with `user rejected MCP tool call`. {rest}"
                ));
            }
            _ => {}
        }

        if let Some(err) = &codex_error {
            log.line(&format!("Codex error: {err}"));
        }

        // --- outcome tails -------------------------------------------------------------
        match p.outcome {
            Outcome::Live => {
                let upd = log.t;
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "running",
                        phase,
                        pid: Some(run_pid),
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: None,
                        error_message: None,
                        cancelled: false,
                        result: None,
                        rendered: None,
                        updated: upd,
                        stale_updated: None,
                        drop_turn_in_file: false,
                        log,
                    },
                );
            }
            Outcome::Cancelled => {
                let stale = log.t;
                log.adv(&mut self.rng, 200, 60000);
                let interrupted = self.rng.chance(0.8);
                if interrupted {
                    log.line("Turn interrupted.");
                    log.adv(&mut self.rng, 0, 2);
                    log.line(&format!(
                        "Requested Codex turn interrupt for {turn_id} on {tid}."
                    ));
                } else {
                    log.line(&format!(
                        "Codex turn interrupt failed: connect ECONNREFUSED {}/cxc-{}/broker.sock",
                        if ws.os == Os::Windows {
                            "/tmp".to_string()
                        } else {
                            ws.broker_tmp.clone()
                        },
                        self.rng.alnum(6, B62)
                    ));
                }
                log.adv(&mut self.rng, 0, 2);
                log.line("Cancelled by user.");
                let t = log.t;
                return finish(
                    self.ws,
                    FinishArgs {
                        p,
                        id,
                        kind_s,
                        label,
                        title,
                        job_class,
                        init_summary,
                        index_summary: None,
                        status: "cancelled",
                        phase: "cancelled",
                        pid: None,
                        request,
                        started_at,
                        thread,
                        turn,
                        completed_at: Some(t),
                        error_message: Some("Cancelled by user.".into()),
                        cancelled: true,
                        result: None,
                        rendered: None,
                        updated: t + self.rng.range(3, 12),
                        stale_updated: Some(stale),
                        drop_turn_in_file: false,
                        log,
                    },
                );
            }
            Outcome::Interrupted => {
                log.adv(&mut self.rng, 20, 5000);
                turn_status = "interrupted";
            }
            _ => {}
        }

        // Retryable reconnect noise on some healthy jobs.
        if fail.is_none() && p.outcome == Outcome::Completed && self.rng.chance(0.005) {
            let m = *self.rng.pick(STREAM_MSGS);
            log.adv(&mut self.rng, 1000, 3000);
            log.line(&format!("Codex error: Reconnecting... 1/5 ({m})"));
        }

        // --- final message & completion ------------------------------------------------
        let adv_json: Option<(J, String)>;
        let mut review_stdout = String::new();
        let mut parse_error: Option<String> = None;
        if turn_status == "completed" {
            log.adv(&mut self.rng, 2000, 15000);
            match p.kind {
                Kind::Task => {
                    let msg = if let Some(m) = final_message.take() {
                        m
                    } else if p.stop_gate {
                        let mut c = self.ctx();
                        if c.rng.chance(0.6) {
                            format!("ALLOW: {}", c.sentence())
                        } else {
                            let f = c.file();
                            let l = c.rng.range(2, 400);
                            format!(
                                "BLOCK: {} in {f}:{l}-{}.",
                                pascal(&format!("{} {} guard", c.rng.pick(ADJS), c.noun())),
                                l + c.rng.range(1, 9)
                            )
                        }
                    } else {
                        let len = self.rng.range(200, 3500) as usize;
                        self.ctx().markdown(len)
                    };
                    log.line(&format!("Assistant message captured: {}", short96(&msg)));
                    log.block("Assistant message", &msg);
                    final_message = Some(msg);
                    adv_json = None;
                }
                Kind::Review => {
                    let text = if let Some(m) = final_message.take() {
                        m
                    } else {
                        self.review_text()
                    };
                    if self.rng.chance(0.3) {
                        log.adv(&mut self.rng, 200, 3000);
                        let sec = self.ctx().reasoning_section();
                        log.line(&format!("Reasoning summary captured: {}", short96(&sec)));
                        log.block("Reasoning summary", &format!("- {}", collapse(&sec)));
                        reasoning_secs.push(collapse(&sec));
                    }
                    log.line("Review output captured.");
                    log.block("Review output", &text);
                    log.adv(&mut self.rng, 10, 40);
                    log.line("Reviewer finished.");
                    review_stdout = text;
                    adv_json = None;
                }
                Kind::Adversarial => {
                    if fail == Some(Fail::AdvInvalidJson) {
                        let mut c = self.ctx();
                        let opener = format!(
                            "I'll inspect the {} changes first and then check the {} callers.",
                            c.noun(),
                            c.rng.pick(ADJS)
                        );
                        let msg = if c.rng.chance(0.5) {
                            opener
                        } else {
                            format!("{opener}\n\n{}", c.paragraph(1, 3))
                        };
                        let head: String = msg.chars().take(10).collect();
                        let first = msg.chars().next().unwrap_or('I');
                        parse_error = Some(format!(
                            "Unexpected token '{first}', \"{head}\"... is not valid JSON"
                        ));
                        log.line(&format!("Assistant message captured: {}", short96(&msg)));
                        log.block("Assistant message", &msg);
                        final_message = Some(msg);
                        adv_json = None;
                    } else {
                        let (obj, raw) = self.adversarial_result(final_message.take());
                        log.line(&format!("Assistant message captured: {}", short96(&raw)));
                        log.block("Assistant message", &raw);
                        final_message = Some(raw.clone());
                        adv_json = Some((obj, raw));
                    }
                }
            }
        } else {
            adv_json = None;
        }
        if p.kind != Kind::Task {
            touched.clear();
        }
        log.adv(&mut self.rng, 10, 460);
        let turn_line = match turn_status {
            "completed" => "Turn completed.",
            "failed" => "Turn failed.",
            _ => "Turn interrupted.",
        };
        log.line(turn_line);
        let ok = turn_status == "completed";
        completed_at = Some(log.t + self.rng.range(0, 2));
        let threadj = s(tid.clone());
        let target_j = || {
            let mut v = vec![
                (
                    "mode",
                    s(if branch_target {
                        "branch"
                    } else {
                        "working-tree"
                    }),
                ),
                ("label", s(target_label.clone())),
            ];
            if branch_target {
                v.push(("baseRef", s(base_ref.clone())));
            }
            v.push(("explicit", J::Bool(branch_target)));
            J::Obj(v)
        };
        let reasoning_arr = J::Arr(reasoning_secs.iter().map(|x| s(x.clone())).collect());
        match p.kind {
            Kind::Task => {
                let raw = if ok {
                    final_message.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                let rend = if !raw.is_empty() {
                    format!("{}\n", raw.trim_end())
                } else if let Some(e) = &codex_error {
                    format!("{e}\n")
                } else {
                    "Codex did not return a final message.\n".to_string()
                };
                index_summary = Some(
                    first_line(&raw)
                        .or_else(|| codex_error.as_deref().and_then(first_line))
                        .unwrap_or_else(|| format!("{title} finished.")),
                );
                result = Some(J::Obj(vec![
                    ("status", J::Int(if ok { 0 } else { 1 })),
                    ("threadId", threadj.clone()),
                    ("rawOutput", s(raw)),
                    (
                        "touchedFiles",
                        J::Arr(touched.iter().map(|x| s(x.clone())).collect()),
                    ),
                    ("reasoningSummary", reasoning_arr),
                ]));
                rendered = Some(rend);
            }
            Kind::Review => {
                let mut rend = format!("# Codex Review\n\nTarget: {target_label}\n\n");
                if ok {
                    rend.push_str(review_stdout.trim_end());
                    rend.push('\n');
                    if !reasoning_secs.is_empty() {
                        rend.push_str("\nReasoning:\n");
                        for r in &reasoning_secs {
                            let _ = writeln!(rend, "- {r}");
                        }
                    }
                } else {
                    rend.push_str("Codex review failed.\n");
                }
                index_summary = Some(
                    first_line(&review_stdout).unwrap_or_else(|| "Review completed.".to_string()),
                );
                result = Some(J::Obj(vec![
                    ("review", s("Review")),
                    ("target", target_j()),
                    ("threadId", threadj.clone()),
                    ("sourceThreadId", threadj.clone()),
                    (
                        "codex",
                        J::Obj(vec![
                            ("status", J::Int(if ok { 0 } else { 1 })),
                            ("stderr", s("")),
                            ("stdout", s(review_stdout.clone())),
                            ("reasoning", reasoning_arr),
                        ]),
                    ),
                ]));
                rendered = Some(rend);
            }
            Kind::Adversarial => {
                let raw = if ok {
                    final_message.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                let (structured, summary_line, rend) = match (&adv_json, &parse_error) {
                    (Some((obj, _)), _) => {
                        let (rend, summ) = render_adversarial(obj, &target_label);
                        (obj.clone(), summ, rend)
                    }
                    (None, Some(pe)) => {
                        let rend = format!(
                            "# Codex Adversarial Review\n\nCodex did not return valid structured JSON.\n\n- Parse error: {pe}\n\nRaw final message:\n\n```text\n{}\n```\n",
                            raw.trim_end()
                        );
                        (J::Null, pe.clone(), rend)
                    }
                    (None, None) => {
                        let pe = "Codex did not return a final structured message.".to_string();
                        parse_error = Some(pe.clone());
                        let rend = format!(
                            "# Codex Adversarial Review\n\nCodex did not return valid structured JSON.\n\n- Parse error: {}\n",
                            parse_error.clone().unwrap_or_default()
                        );
                        (J::Null, parse_error.clone().unwrap_or(pe), rend)
                    }
                };
                index_summary = Some(summary_line);
                let staged = self.rng.range(0, 4);
                let unstaged = self.rng.range(0, 9);
                let untracked = self.rng.range(0, 3);
                let branch = if branch_target {
                    format!(
                        "{}/{}-{}",
                        self.rng.pick(&["feature", "fix", "chore"]),
                        self.rng.pick(NOUNS),
                        self.rng.pick(ADJS)
                    )
                } else {
                    (*self.rng.pick(&["main", "main", "master", "develop"])).to_string()
                };
                let ctx_summary = if branch_target {
                    format!(
                        "Reviewing {} commit(s) against {base_ref}.",
                        self.rng.range(1, 14)
                    )
                } else {
                    format!(
                        "Reviewing {staged} staged, {unstaged} unstaged, and {untracked} untracked file(s)."
                    )
                };
                result = Some(J::Obj(vec![
                    ("review", s("Adversarial Review")),
                    ("target", target_j()),
                    ("threadId", threadj.clone()),
                    (
                        "context",
                        J::Obj(vec![
                            ("repoRoot", s(ws.root.clone())),
                            ("branch", s(branch)),
                            ("summary", s(ctx_summary)),
                        ]),
                    ),
                    (
                        "codex",
                        J::Obj(vec![
                            ("status", J::Int(if ok { 0 } else { 1 })),
                            ("stderr", s("")),
                            ("stdout", s(raw.clone())),
                            ("reasoning", reasoning_arr.clone()),
                        ]),
                    ),
                    ("result", structured),
                    ("rawOutput", s(raw)),
                    ("parseError", opt_s(&parse_error)),
                    ("reasoningSummary", reasoning_arr),
                ]));
                rendered = Some(rend);
            }
        }
        if !ok {
            status = "failed";
            phase = "failed";
        } else {
            status = "completed";
            phase = "done";
        }
        let fin = completed_at.unwrap();
        let upd = fin + self.rng.range(6, 16);
        log.t = upd + self.rng.range(2, 10);
        let rend = rendered.clone().unwrap_or_default();
        log.block("Final output", &rend);
        finish(
            self.ws,
            FinishArgs {
                p,
                id,
                kind_s,
                label,
                title,
                job_class,
                init_summary,
                index_summary,
                status,
                phase,
                pid: None,
                request,
                started_at,
                thread,
                turn,
                completed_at,
                error_message: None,
                cancelled,
                result,
                rendered,
                updated: upd,
                stale_updated: None,
                drop_turn_in_file: false,
                log,
            },
        )
    }

    fn review_text(&mut self) -> String {
        let mut c = self.ctx();
        if c.rng.chance(0.25) {
            let first = *c.rng.pick(&[
                "Reviewed uncommitted changes.",
                "Reviewed the changes against the base branch.",
                "The patch looks correct.",
                "No material issues found.",
            ]);
            return format!("{first}\n{}", c.paragraph(1, 3));
        }
        let mut out = c.paragraph(1, 3);
        out.push_str("\n\nFull review comments:\n");
        let n = 1 + c.rng.below(6);
        for _ in 0..n {
            let p = c.rng.range(0, 3);
            let f = c.file();
            let l = c.rng.range(1, 600);
            let title = format!(
                "{} {} {}",
                c.rng.pick(&[
                    "Guard",
                    "Handle",
                    "Avoid",
                    "Fix",
                    "Validate",
                    "Preserve",
                    "Do not drop"
                ]),
                c.rng.pick(ADJS),
                c.noun()
            );
            let body = c.paragraph(1, 3);
            let _ = write!(
                out,
                "\n- [P{p}] {title} — {}:{l}-{}\n  {body}\n",
                c.rng.pick(&[f.as_str()]),
                l + c.rng.range(0, 20)
            );
            if c.rng.chance(0.3) {
                let fl = c.fence_lang();
                let _ = writeln!(out, "\n  ```{fl}");
                let mut code = String::new();
                let k = 2 + c.rng.below(6);
                c.code_lines(k, &mut code);
                for line in code.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                out.push_str("  ```\n");
            }
        }
        out
    }

    fn adversarial_result(&mut self, forced_summary: Option<String>) -> (J, String) {
        let mut c = self.ctx();
        let n = c.rng.below(5);
        let mut findings = Vec::new();
        for _ in 0..n.max(if forced_summary.is_some() { 0 } else { 1 }) {
            let f = c.file();
            let l = c.rng.range(1, 500);
            let title = format!(
                "{} {} {}",
                pascal(c.rng.pk(ADJS)),
                c.noun(),
                c.rng.pick(&[
                    "race",
                    "guard missing",
                    "leak",
                    "not validated",
                    "silently dropped",
                    "double-applied",
                    "unbounded"
                ])
            );
            let conf = c.rng.range(35, 98) as f64 / 100.0;
            findings.push(J::Obj(vec![
                ("severity", s(*c.rng.pick(SEVERITIES))),
                ("title", s(title)),
                ("body", s(c.paragraph(1, 3))),
                ("file", s(f)),
                ("line_start", J::Int(l)),
                ("line_end", J::Int(l + c.rng.range(0, 30))),
                ("confidence", J::Num(conf)),
                ("recommendation", s(c.sentence())),
            ]));
        }
        let verdict = if findings.is_empty() {
            "approve"
        } else {
            "needs-attention"
        };
        let summary = forced_summary.unwrap_or_else(|| {
            if findings.is_empty() {
                "No defensible ship-blocking finding.".to_string()
            } else {
                format!(
                    "{} adversarial concern(s) surfaced. {}",
                    findings.len(),
                    c.sentence()
                )
            }
        });
        let steps: Vec<J> = (0..1 + c.rng.below(3)).map(|_| s(c.sentence())).collect();
        let obj = J::Obj(vec![
            ("verdict", s(verdict)),
            ("summary", s(collapse(&summary))),
            ("findings", J::Arr(findings)),
            ("next_steps", J::Arr(steps)),
        ]);
        let raw = obj.compact();
        (obj, raw)
    }
}

fn finish(ws: &Workspace, a: FinishArgs<'_>) -> Job {
    let p = a.p;
    let log_file = ws.log_file(&a.id);
    let mut f: Vec<(&'static str, J)> = vec![
        ("id", s(a.id.clone())),
        ("kind", s(a.kind_s)),
        ("kindLabel", s(a.label)),
        ("title", s(a.title)),
        ("workspaceRoot", s(ws.root.clone())),
        ("jobClass", s(a.job_class)),
        ("summary", s(a.init_summary.clone())),
        ("write", J::Bool(p.write)),
        ("createdAt", s(iso(p.created))),
    ];
    if let Some(sid) = &p.session {
        f.push(("sessionId", s(sid.clone())));
    }
    f.push(("status", s(a.status)));
    let pidj = match a.pid {
        Some(x) => J::Int(x),
        None => J::Null,
    };
    if a.request.is_some() {
        f.push(("phase", s(a.phase)));
        f.push(("pid", pidj));
        f.push(("logFile", s(log_file)));
        f.push(("request", a.request.clone().unwrap()));
        if let Some(st) = a.started_at {
            f.push(("startedAt", s(iso(st))));
        }
    } else {
        if let Some(st) = a.started_at {
            f.push(("startedAt", s(iso(st))));
        }
        f.push(("phase", s(a.phase)));
        f.push(("pid", pidj));
        f.push(("logFile", s(log_file)));
    }
    if let Some(t) = &a.thread {
        f.push(("threadId", s(t.clone())));
    }
    if let Some(t) = &a.turn {
        f.push(("turnId", s(t.clone())));
    }
    if a.cancelled {
        if let Some(st) = a.stale_updated {
            f.push(("updatedAt", s(iso(st))));
        }
        f.push(("completedAt", s(iso(a.completed_at.unwrap()))));
        f.push(("errorMessage", s("Cancelled by user.")));
        f.push(("cancelledAt", s(iso(a.completed_at.unwrap()))));
    } else if let Some(e) = &a.error_message {
        f.push(("errorMessage", s(e.clone())));
        f.push(("completedAt", s(iso(a.completed_at.unwrap()))));
    } else if let Some(c) = a.completed_at {
        f.push(("completedAt", s(iso(c))));
    }
    if let Some(r) = &a.result {
        f.push(("result", r.clone()));
    }
    if let Some(r) = &a.rendered {
        f.push(("rendered", s(r.clone())));
    }

    // Index entry.
    let updated = iso(a.updated);
    let mut idx: Vec<(&'static str, J)> = vec![
        ("createdAt", s(iso(p.created))),
        ("updatedAt", s(updated.clone())),
    ];
    for (k, v) in &f {
        match *k {
            "createdAt" | "updatedAt" | "result" | "rendered" | "cancelledAt" => {}
            "summary" => idx.push((
                "summary",
                s(a.index_summary
                    .clone()
                    .unwrap_or_else(|| a.init_summary.clone())),
            )),
            _ => idx.push((k, v.clone())),
        }
    }
    if a.cancelled {
        // Index keeps errorMessage before completedAt.
        let ci = idx.iter().position(|(k, _)| *k == "completedAt");
        let ei = idx.iter().position(|(k, _)| *k == "errorMessage");
        if let (Some(ci), Some(ei)) = (ci, ei) {
            idx.swap(ci, ei);
        }
    }
    if a.drop_turn_in_file {
        f.retain(|(k, _)| *k != "turnId");
    }
    Job {
        id: a.id,
        json: J::Obj(f).pretty(),
        log: a.log.buf,
        index: J::Obj(idx),
        updated_at: updated,
    }
}

struct FinishArgs<'a> {
    p: &'a JobPlan,
    id: String,
    kind_s: &'static str,
    label: &'static str,
    title: &'static str,
    job_class: &'static str,
    init_summary: String,
    index_summary: Option<String>,
    status: &'static str,
    phase: &'a str,
    pid: Option<i64>,
    request: Option<J>,
    started_at: Option<i64>,
    thread: Option<String>,
    turn: Option<String>,
    completed_at: Option<i64>,
    error_message: Option<String>,
    cancelled: bool,
    result: Option<J>,
    rendered: Option<String>,
    updated: i64,
    stale_updated: Option<i64>,
    drop_turn_in_file: bool,
    log: Log,
}

fn render_adversarial(obj: &J, target_label: &str) -> (String, String) {
    let get = |k: &str| -> Option<&J> {
        if let J::Obj(f) = obj {
            f.iter().find(|(kk, _)| *kk == k).map(|(_, v)| v)
        } else {
            None
        }
    };
    let str_of = |j: Option<&J>| -> String {
        match j {
            Some(J::Str(x)) => x.clone(),
            _ => String::new(),
        }
    };
    let verdict = str_of(get("verdict"));
    let summary = str_of(get("summary"));
    let mut out = format!(
        "# Codex Adversarial Review\n\nTarget: {target_label}\nVerdict: {verdict}\n\n{summary}\n"
    );
    if let Some(J::Arr(fs)) = get("findings") {
        if fs.is_empty() {
            out.push_str("\nNo material findings.\n");
        } else {
            out.push_str("\nFindings:\n");
            for fj in fs {
                if let J::Obj(ff) = fj {
                    let g = |k: &str| ff.iter().find(|(kk, _)| *kk == k).map(|(_, v)| v);
                    let gi = |k: &str| match g(k) {
                        Some(J::Int(i)) => *i,
                        _ => 0,
                    };
                    let _ = write!(
                        out,
                        "- [{}] {} ({}:{}-{})\n  {}\n  Recommendation: {}\n",
                        str_of(g("severity")),
                        str_of(g("title")),
                        str_of(g("file")),
                        gi("line_start"),
                        gi("line_end"),
                        str_of(g("body")),
                        str_of(g("recommendation"))
                    );
                }
            }
        }
    }
    if let Some(J::Arr(ns)) = get("next_steps")
        && !ns.is_empty()
    {
        out.push_str("\nNext steps:\n");
        for n in ns {
            let _ = writeln!(out, "- {}", str_of(Some(n)));
        }
    }
    (out, summary)
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

struct Totals {
    workspaces: u64,
    jobs: u64,
    files: u64,
    bytes: u64,
}

fn write_file(path: &Path, data: &str, totals: &mut Totals) -> Result<()> {
    fs::write(path, data.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    totals.files += 1;
    totals.bytes += data.len() as u64;
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.mib.is_nan() || args.mib <= 0.0 {
        bail!("--mib must be positive");
    }
    if !(0.0..=1.0).contains(&args.failure_rate) {
        bail!("--failure-rate must be within 0..=1");
    }
    let started = Instant::now();
    let state_root = args.out_dir.join("state");
    if state_root.exists() {
        if args.clean {
            fs::remove_dir_all(&state_root)
                .with_context(|| format!("removing {}", state_root.display()))?;
        } else if fs::read_dir(&state_root)?.next().is_some() {
            bail!(
                "{} already exists and is not empty (use --clean)",
                state_root.display()
            );
        }
    }
    fs::create_dir_all(&state_root)?;

    let target = (args.mib * 1024.0 * 1024.0) as u64;
    let mut master = Rng::new(args.seed);
    let mut used = BTreeSet::new();
    let mut totals = Totals {
        workspaces: 0,
        jobs: 0,
        files: 0,
        bytes: 0,
    };

    while totals.bytes + 3000 < target {
        let mut wrng = master.fork();
        let ws = make_workspace(&mut wrng, &mut used);
        let n_jobs = match wrng.weighted(&[25, 35, 40]) {
            0 => wrng.range(1, 8),
            1 => wrng.range(8, 30),
            _ => wrng.range(30, 50),
        } as usize;
        let stop_gate = wrng.chance(0.1);
        let has_broker = wrng.chance(0.4);
        let no_sessions = wrng.chance(0.06);
        // Workspace activity window.
        let span = wrng.range(2, 90) * 86_400_000;
        let end = wrng.range(EPOCH_START_MS + span, EPOCH_END_MS);
        let mut t = end - span;
        let mut sess = Session {
            id: if no_sessions {
                None
            } else {
                Some(uuid_v4(&mut wrng))
            },
        };
        let avg_gap = (span / n_jobs as i64).max(60_000);

        let dir = state_root.join(&ws.dir_name);
        let jobs_dir = dir.join("jobs");
        let mut g = Gen {
            ws: &ws,
            rng: wrng.fork(),
            thread_ids: Vec::new(),
        };
        let mut jobs: Vec<Job> = Vec::with_capacity(n_jobs);
        let mut pending: u64 = 300; // state.json skeleton + broker
        for i in 0..n_jobs {
            let remaining = target.saturating_sub(totals.bytes + pending);
            if remaining < 3000 && !jobs.is_empty() {
                break;
            }
            if !no_sessions && g.rng.chance(0.15) {
                sess.id = Some(uuid_v4(&mut g.rng));
            }
            let session = if !no_sessions && g.rng.chance(0.03) {
                None
            } else {
                sess.id.clone()
            };
            t += g.rng.range(avg_gap / 10, avg_gap * 2);
            let budget = (remaining as usize).saturating_sub(2800);
            let plan = g.plan(t, session, args.failure_rate, budget, i + 1 == n_jobs);
            let job = g.job(&plan);
            pending +=
                (job.json.len() + job.log.len()) as u64 + job.index.compact().len() as u64 + 8;
            jobs.push(job);
        }
        if jobs.is_empty() {
            break;
        }
        // Index: newest-updated first (plain string compare, like the plugin).
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by(|&a, &b| jobs[b].updated_at.cmp(&jobs[a].updated_at).then(b.cmp(&a)));
        let state = J::Obj(vec![
            ("version", J::Int(1)),
            (
                "config",
                J::Obj(vec![("stopReviewGate", J::Bool(stop_gate))]),
            ),
            (
                "jobs",
                J::Arr(order.iter().map(|&i| jobs[i].index.clone()).collect()),
            ),
        ]);
        fs::create_dir_all(&jobs_dir)?;
        write_file(&dir.join("state.json"), &state.pretty(), &mut totals)?;
        if has_broker {
            let b = ws.broker_json(&mut g.rng);
            write_file(&dir.join("broker.json"), &b, &mut totals)?;
        }
        for j in &jobs {
            write_file(
                &jobs_dir.join(format!("{}.json", j.id)),
                &j.json,
                &mut totals,
            )?;
            write_file(&jobs_dir.join(format!("{}.log", j.id)), &j.log, &mut totals)?;
        }
        totals.jobs += jobs.len() as u64;
        totals.workspaces += 1;
    }

    println!(
        "gen_corpus: {} workspaces, {} jobs, {} files, {} bytes ({:.1} MiB) in {:.2}s -> {}",
        totals.workspaces,
        totals.jobs,
        totals.files,
        totals.bytes,
        totals.bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64(),
        args.out_dir.display()
    );
    Ok(())
}
