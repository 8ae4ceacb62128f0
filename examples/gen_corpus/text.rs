//! Text of the realistic style: identifiers, file paths, shell commands, code, and markdown
//! messages that mix prose with code and diff fences (the way Codex writes).
//!
//! With `Style::Prose` the message-level methods (`sentence`, `reasoning_section`,
//! `markdown`) hand over to `prose.rs`; paths and commands stay the same.

use std::fmt::Write as _;

use crate::Style;
use crate::rng::Rng;
use crate::vocab::*;
use crate::workspace::Lang;

/// `camel("get", "token")` = `getToken`.
pub fn camel(a: &str, b: &str) -> String {
    let mut out = a.to_string();
    let mut cs = b.chars();
    if let Some(f) = cs.next() {
        out.extend(f.to_uppercase());
        out.push_str(cs.as_str());
    }
    out
}

/// `pascal("token")` = `Token`.
pub fn pascal(a: &str) -> String {
    camel("", a)
}

/// A text source: the job's PRNG, its workspace's language and the corpus style.
pub struct Ctx<'a> {
    pub rng: &'a mut Rng,
    pub lang: Lang,
    pub style: Style,
}

impl Ctx<'_> {
    pub fn noun(&mut self) -> &'static str {
        self.rng.pk(NOUNS)
    }
    pub fn ident(&mut self) -> String {
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
    pub fn type_name(&mut self) -> String {
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
    pub fn file(&mut self) -> String {
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
    pub fn dir(&mut self) -> String {
        let f = self.file();
        match f.rfind('/') {
            Some(i) => f[..i].to_string(),
            None => "src".into(),
        }
    }
    pub fn test_cmd(&mut self) -> String {
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
    pub fn lint_cmd(&mut self) -> String {
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
    pub fn read_cmd(&mut self) -> String {
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
    pub fn code_lines(&mut self, n: usize, out: &mut String) {
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
    pub fn fence_lang(&self) -> &'static str {
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
    pub fn sentence(&mut self) -> String {
        if self.style == Style::Prose {
            return self.prose_sentence();
        }
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

    pub fn paragraph(&mut self, lo: usize, hi: usize) -> String {
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

    /// `**Title** body`, one section of a reasoning summary.
    pub fn reasoning_section(&mut self) -> String {
        if self.style == Style::Prose {
            return self.prose_reasoning_section();
        }
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
    pub fn markdown(&mut self, target_len: usize) -> String {
        if self.style == Style::Prose {
            return self.prose_message(target_len);
        }
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
