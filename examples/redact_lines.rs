//! Redacts each line of standard input with the built-in detectors (no machine home or
//! user unless HOME/USER are set): `cargo run --example redact_lines < file`.
use std::io::BufRead;

fn main() {
    let r = triage::redact::Redactor::from_env();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("{}", r.redact(&line));
    }
}
