#!/usr/bin/env python3
"""Builds testdata/planted/: a codex-plugin job tree full of planted secrets and personal data.

Every secret form (provider tokens, env assignments, flags, connection strings, PEM blocks,
JWTs, URL credentials, cookies, Authorization headers, e-mails, passwords with backslashes
and quotes) and every form of a home directory / user name (Linux, macOS, Windows, WSL,
MSYS, Cygwin, URL-encoded, JSON-escaped, 8.3 short names, OneDrive, UNC shares, ~user,
/root, the user name as a workspace slug) is planted in every text field of a record and
in its log. `tests/planted.rs` runs every output format over the tree and asserts that none
of the lines of `MUST-NOT-SURVIVE.txt` appear, and that the lines of `MUST-SURVIVE.txt` do.

The tree is deterministic: re-running the script rewrites the same bytes.

    python3 scripts/planted-corpus.py            # writes testdata/planted/
    PLANTED_OUT=/tmp/x python3 scripts/planted-corpus.py   # writes elsewhere (tests)
"""

import hashlib
import json
import os
import shutil

ROOT = os.environ.get("PLANTED_OUT") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "planted")

# The machine's user (tests run triage with USER/HOME set to it) and a second user that
# appears only in paths of the records (the redactor has to learn it from them).
USER = "qvistlund"
OTHER = "bjornsdottir"


def tok(tag, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
    """A deterministic random-looking token of n characters."""
    out = ""
    i = 0
    while len(out) < n:
        h = hashlib.sha256(f"{tag}:{i}".encode()).digest()
        out += "".join(alphabet[b % len(alphabet)] for b in h)
        i += 1
    return out[:n]


def b64(tag, n):
    return tok(tag, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


# (form, text with the secret in place, the secret itself)
SECRETS = []


def plant(form, template, secret):
    SECRETS.append((form, template.replace("{s}", secret), secret))


plant("github classic PAT", "remote: using {s}", "ghp_" + tok("ghp", 36))
plant("github oauth", "oauth {s} ok", "gho_" + tok("gho", 36))
plant("github fine-grained", "GH={s}", "github_pat_11" + tok("ghpat", 20) + "_" + tok("ghpat2", 59))
plant("gitlab PAT bare", "glab auth with {s}", "glpat-" + tok("glpat", 20))
plant("huggingface env", "HF_TOKEN={s} python train.py", "hf_" + tok("hf", 34, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
plant("npm env", "NPM_TOKEN={s} npm publish", "npm_" + tok("npm", 36))
plant("npmrc authToken", "//registry.npmjs.org/:_authToken={s}", tok("npmrc", 36))
plant("slack bot", "slack {s}", "xoxb-1234567890-" + tok("slack", 24))
plant("slack webhook", "POST https://hooks.slack.com/services/T0AAAA/B0BBBB/{s}", tok("hook", 24))
plant("stripe live", "stripe key {s}", "sk_live_" + tok("stripe", 24))
plant("stripe restricted", "rk={s}", "rk_live_" + tok("rk", 24))
plant("aws access key id", "aws_access_key_id = {s}", "AKIA" + tok("akia", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
plant("aws temp key id", "ASIA key {s}", "ASIA" + tok("asia", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
plant("aws secret key", "aws_secret_access_key = {s}", b64("awssecret", 40))
plant("aws secret env", "AWS_SECRET_ACCESS_KEY={s} aws s3 ls", b64("awssecret2", 40))
plant("aws session token", "AWS_SESSION_TOKEN={s}", b64("awssess", 60))
plant("google api key", "key={s}", "AIza" + tok("aiza", 35))
plant("google oauth token", "Bearer? no: {s}", "ya29." + tok("ya29", 40))
plant("openai project key", "OPENAI_API_KEY={s}", "sk-proj-" + tok("proj", 40))
plant("openai key bare", "using {s} for auth", "sk-" + tok("sk", 48))
plant("anthropic key", "x-api-key: {s}", "sk-ant-api03-" + tok("ant", 40))
plant("short sk key", "key sk-{s} end", "Zq7short42")
plant("jwt", "id_token {s}", "eyJhbGciOiJSUzI1NiJ9." + tok("jwt1", 40) + "." + tok("jwt2", 40))
plant("github token env", "GITHUB_TOKEN={s} gh pr list", tok("ghenv", 24))
plant("export quoted", 'export OPENAI_API_KEY="{s}"', tok("export", 30))
plant("powershell env", "$env:ANTHROPIC_API_KEY='{s}'", tok("pwsh", 30))
plant("cmd set", "set CODEX_TOKEN={s}", tok("cmdset", 24))
plant("flag token", "gh auth login --token {s} --hostname github.com", tok("flagtok", 24))
plant("flag password", "tool --password {s} connect", "Pw" + tok("flagpw", 10))
plant("flag password eq quoted", 'tool --password="{s}" connect', "Pw" + tok("flagpw2", 10))
plant("flag api key", "tool --api-key={s}", tok("flagak", 24))
plant("flag client secret", "az ad sp create --client-secret {s}", tok("clsec", 24))
plant("flag passphrase", "gpg --passphrase {s} -d f", "Pp" + tok("pp", 12))
plant("flag pw plink", "plink -pw {s} host", "Pl" + tok("plink", 10))
plant("mysql -p", "mysql -u root -p{s} shop", "My" + tok("mysql", 10))
plant("curl -u", "curl -u alice:{s} https://api.example.net", "Cu" + tok("curl", 10))
plant("curl --user", "curl --user 'bob:{s}' https://api.example.net", "Cv" + tok("curl2", 10))
plant("sshpass", "sshpass -p {s} ssh host", "Ss" + tok("sshpass", 10))
plant("docker login -p", "docker login -u me -p {s} registry.example", "Dk" + tok("docker", 12))
plant("netrc", "machine github.com login me password {s}", "Nr" + tok("netrc", 12))
plant("azure storage connection", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=core.windows.net", b64("acctkey", 86) + "==")
plant("azure service bus", "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={s}", b64("sak", 44))
plant("sql connection", "Server=db;User Id=sa;Password={s};", "Sq" + tok("sqlpw", 12))
plant("postgres url", "DATABASE_URL=postgres://app:{s}@db:5432/shop", "Pg" + tok("pgurl", 12))
plant("redis url empty user", "redis://:{s}@cache:6379/0", "Rd" + tok("redis", 12))
plant("git url token", "git clone https://oauth2:{s}@gitlab.example.com/g/r.git", tok("giturl", 24))
plant("pem block", "key:\n-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----\nafter", b64("pem", 64))
plant("pem escaped", "key: -----BEGIN OPENSSH PRIVATE KEY-----\\n{s}\\n-----END OPENSSH PRIVATE KEY-----", b64("pem2", 64))
plant("pem cut", "-----BEGIN PRIVATE KEY-----\n{s}", b64("pem3", 64))
plant("bearer header", "Authorization: Bearer {s}", tok("bearer", 32))
plant("basic header", "Authorization: Basic {s}", b64("basic", 24))
plant("token header", "curl -H 'Authorization: token {s}' https://api.github.com", tok("tokhdr", 24))
plant("json auth header", '{"Authorization": "Bearer {s}"}', tok("jsonhdr", 32))
plant("proxy auth", "Proxy-Authorization: Basic {s}", b64("proxy", 24))
plant("cookie", "Cookie: session={s}; theme=dark", tok("cookie", 32))
plant("set-cookie", "Set-Cookie: sid={s}; Path=/; HttpOnly", tok("setcookie", 32))
plant("email", "contact {s} for access", "planted.person@contoso-mail.com")
plant("email angle", "Author: Someone <{s}>", "sven.qx@example-corp.net")
plant("password backslash", 'PASSWORD="{s}" ./run', "Ab\\\\cd\\\\" + tok("bs", 8))
plant("password quote", "db_password='{s}' next", "Qu" + tok("q", 8) + "'\\''s")
plant("password json", '{"password": "{s}"}', "Js" + tok("jsonpw", 12))
plant("password json-escaped", '{\\"client_secret\\":\\"{s}\\"}', "Je" + tok("jsonesc", 12))
plant("password yaml", "password: {s}", "Ym" + tok("yaml", 12))
plant("api key yaml", "api_key: {s}", tok("apikeyyaml", 24))
plant("query token", "GET /callback?access_token={s}&state=1", tok("qtok", 24))
plant("azure sas", "https://a.blob.core.windows.net/c?sv=2022-11-02&sig={s}&se=2026", b64("sas", 40).replace("/", "%2F").replace("+", "%2B"))
plant("pgpassword env", "PGPASSWORD={s} psql -h db", "Pq" + tok("pgpw", 12))
plant("docker env", "docker run -e API_KEY={s} img", tok("dockenv", 24))
plant("secret key base", "SECRET_KEY_BASE={s}", tok("skb", 64))
plant("entropy after word", "the api key is {s} (rotated)", tok("entropy", 32))
plant("entropy secret", "client secret: {s}", tok("entropy2", 32))
plant("groq key", "GROQ {s}", "gsk_" + tok("groq", 52))
plant("pypi token", "twine upload -p {s}", "pypi-AgEIcHlwaS5vcmc" + tok("pypi", 50))
plant("vault token", "VAULT {s}", "hvs." + tok("vault", 90))
plant("telegram bot", "bot {s}", "123456789:AA" + tok("tg", 33))

# Personal data: every form of the two users' homes and names.
PERSONAL = [
    ("linux home", f"/home/{USER}/src/app/main.rs"),
    ("macos home", f"/Users/{USER}/Library/Logs/x.log"),
    ("windows home", f"C:\\Users\\{USER}\\AppData\\Local\\Temp\\x"),
    ("windows forward", f"C:/Users/{USER}/proj/a.rs"),
    ("windows json-escaped", f"C:\\\\Users\\\\{USER}\\\\repo"),
    ("windows lowercase", f"c:\\users\\{USER}\\repo"),
    ("wsl", f"/mnt/c/Users/{USER}/code"),
    ("msys", f"/c/Users/{USER}/code"),
    ("cygwin", f"/cygdrive/c/Users/{USER}/code"),
    ("wsl unc", f"\\\\wsl$\\Ubuntu\\home\\{USER}\\code"),
    ("wsl localhost", f"\\\\wsl.localhost\\Ubuntu-22.04\\home\\{USER}\\code"),
    ("url-encoded unix", f"file=%2Fhome%2F{USER}%2Frepo"),
    ("url-encoded windows", f"path=C%3A%5CUsers%5C{USER}%5Crepo"),
    ("8.3 short name", "C:\\Users\\QVISTL~1\\AppData\\Local\\Temp\\x"),
    ("onedrive", f"C:\\Users\\{USER}\\OneDrive - Qvistlundcorp Consulting\\repo"),
    ("unc users", f"\\\\fileserver\\Users\\{USER}\\docs"),
    ("unc home share", f"\\\\fileserver\\home$\\{USER}\\docs"),
    ("tilde user", f"cd ~{USER}/repo"),
    ("root home", "/root/.codex/sessions"),
    ("user word", f"owner {USER} ran it"),
    ("user in email", f"{USER}@contoso-mail.com"),
    ("slug", f"state/{USER}-0123456789abcdef/jobs"),
    ("other linux home", f"/home/{OTHER}/work/x.py"),
    ("other windows home", f"C:\\Users\\{OTHER}\\repo"),
    ("other slug", f"workspace {OTHER}-fedcba9876543210"),
    ("other word", f"assigned to {OTHER} yesterday"),
    ("windows name with space", "C:\\Users\\Qvist Lundgren\\repo"),
]

# What must survive: error codes, versions, workspace-relative paths.
KEEP = [
    "CreateProcessAsUserW failed: 1920",
    "0x80070005",
    "codex-cli 0.46.0",
    "src/app/main.rs",
]


def must_not_survive():
    """Fragments that must not appear in any output: each secret's alphanumeric runs of 8+
    characters with a digit or mixed case, each planted e-mail address (so that a half-redacted secret is caught too), the user names and the
    8.3 short name."""
    out = set()
    for _, _, secret in SECRETS:
        run = ""
        for c in secret + " ":
            if c.isalnum():
                run += c
            else:
                mixed = any(x.isdigit() for x in run) or (
                    any(x.isupper() for x in run) and any(x.islower() for x in run))
                if len(run) >= 8 and mixed:
                    out.add(run)
                run = ""
        if "@" in secret:
            out.add(secret)
    # Prefixes alone (ghp, AKIA, eyJhbGciOiJSUzI1NiJ9) are not secrets; every run above
    # holds random characters except these fixed ones.
    out -= {"eyJhbGciOiJSUzI1NiJ9", "1234567890", "123456789", "pypi", "AgEIcHlwaS5vcmc"}
    out = {o for o in out if not o.startswith("AgEIcHlwaS5vcmc") or len(o) > 20}
    out |= {USER, OTHER, "QVISTL~1", "Qvistlundcorp", "Lundgren"}
    return sorted(out)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    texts = [t for _, t, _ in SECRETS] + [t for _, t in PERSONAL]
    state = os.path.join(ROOT, "plugin-data", "state", f"{USER}-0123456789abcdef")
    jobs_dir = os.path.join(state, "jobs")
    os.makedirs(jobs_dir)
    index = []
    for n, text in enumerate(texts):
        jid = f"task-mw{n:06d}-plant{n % 10}"
        keep = KEEP[n % len(KEEP)]
        # The failure first, so the record's errorMessage is decisive evidence and a known
        # signature clusters it; then the planted text.
        error = f"{keep} | {text}"
        rec = {
            "id": jid,
            "kind": "task",
            "kindLabel": "rescue",
            "title": f"Codex Task {text}",
            "workspaceRoot": f"/home/{USER}" if n % 2 == 0 else f"C:\\Users\\{OTHER}\\repo",
            "jobClass": "task",
            "summary": text,
            "write": False,
            "createdAt": f"2026-11-21T14:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
            "status": "failed",
            "phase": "failed",
            "pid": None,
            "logFile": os.path.join("/home", USER, ".claude", "plugins", "data", "codex", "state",
                                    f"{USER}-0123456789abcdef", "jobs", f"{jid}.log"),
            "errorMessage": error,
            "request": {"prompt": text, "cwd": f"/Users/{USER}/proj"},
            "result": {
                "status": 1,
                "rawOutput": text,
                "codex": {"stdout": text, "stderr": f"Error: {text}"},
                "parseError": text,
                "result": {"message": text, "nested": [text]},
            },
            "rendered": f"{text}\n",
        }
        with open(os.path.join(jobs_dir, f"{jid}.json"), "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=2, ensure_ascii=False)
            f.write("\n")
        with open(os.path.join(jobs_dir, f"{jid}.log"), "w", encoding="utf-8") as f:
            f.write(f"[2026-11-21T14:00:00.000Z] Starting Codex task thread.\n")
            f.write(f"[2026-11-21T14:00:01.000Z] Running command: {text}\n")
            f.write(f"[2026-11-21T14:00:02.000Z] Error: {keep} {text}\n")
            f.write(f"[2026-11-21T14:00:03.000Z] Failed: {text}\n")
        index.append({"id": jid, "status": "failed", "phase": "failed", "summary": text,
                      "logFile": rec["logFile"], "errorMessage": error})
    with open(os.path.join(state, "state.json"), "w", encoding="utf-8") as f:
        json.dump({"version": 1, "config": {}, "jobs": index}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(ROOT, "MUST-NOT-SURVIVE.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(must_not_survive()) + "\n")
    with open(os.path.join(ROOT, "MUST-SURVIVE.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(KEEP) + "\n")
    with open(os.path.join(ROOT, "FORMS.tsv"), "w", encoding="utf-8") as f:
        f.write("form\ttext\n")
        for form, text, _ in SECRETS:
            f.write(f"{form}\t{json.dumps(text, ensure_ascii=False)}\n")
        for form, text in PERSONAL:
            f.write(f"{form}\t{json.dumps(text, ensure_ascii=False)}\n")
    print(f"wrote {len(texts)} jobs ({len(SECRETS)} secret forms, {len(PERSONAL)} personal-data forms) to {ROOT}")


if __name__ == "__main__":
    main()
