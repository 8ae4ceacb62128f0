#!/usr/bin/env bash
# Whole-process benchmark of `triage scan` against ripgrep (issue #5; docs/performance.md).
#
#   scripts/bench.sh                 # 512 MiB corpus, 5 alternating rounds
#   MIB=64 ROUNDS=3 scripts/bench.sh # quicker
#
# Environment: MIB (corpus size, 512), SEED (7), ROUNDS (alternating hyperfine rounds, 5),
# RG_ROUNDS (rounds that include ripgrep, default ROUNDS; ripgrep is slow on these patterns),
# BENCH_DIR (work folder outside the repository, default ${TMPDIR:-/tmp}/triage-bench),
# THREADS (passed to `triage scan -j`, default: all cores).
# Installs nothing. Needs: cargo, hyperfine, rg, jq, /usr/bin/time (GNU).
set -euo pipefail

MIB=${MIB:-512}
SEED=${SEED:-7}
ROUNDS=${ROUNDS:-5}
RG_ROUNDS=${RG_ROUNDS:-$ROUNDS}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/triage-bench}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=$BENCH_DIR/corpus-$MIB
OUT=$BENCH_DIR/results
TRIAGE=$REPO/target/release/triage
JOBS=${THREADS:+-j $THREADS}

missing=()
for tool in hyperfine rg jq cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/bin/time ] || missing+=("time")
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench.sh: missing ${missing[*]}; install with:" >&2
    echo "  sudo apt-get update && sudo apt-get install hyperfine ripgrep jq time" >&2
    exit 2
fi
case "$CORPUS" in "$REPO"/*) echo "bench.sh: BENCH_DIR must be outside the repository" >&2; exit 2 ;; esac
mkdir -p "$BENCH_DIR" "$OUT"

echo "== build"
(cd "$REPO" && cargo build --release --quiet && cargo build --release --quiet --example gen_corpus)

if [ ! -d "$CORPUS/state" ]; then
    echo "== corpus: $MIB MiB, seed $SEED -> $CORPUS"
    "$REPO/target/release/examples/gen_corpus" --mib "$MIB" --seed "$SEED" "$CORPUS"
else
    echo "== corpus: $CORPUS (exists; delete it to regenerate)"
fi

"$TRIAGE" rules patterns > "$BENCH_DIR/patterns.txt"

# Rule sets for the scaling check: 50 of the built-in rules, and all of them plus synthesized
# rules up to 200 (the same scheme as benches/hot.rs: three patterns each, common words).
words=(connection request module process sandbox token server timeout permission config
    socket session worker handler upstream gateway registry plugin storage cluster channel
    queue stream buffer cache index schema daemon runtime driver
    resolver manifest artifact bundle checksum credential endpoint listener mount tunnel)
families=(spawn-install windows-shell sandbox hang-job-state claude-integration app-server
    broker auth limits models network review-output git transfer)
make_rules() { # make_rules DIR BUILTIN_COUNT TOTAL
    local dir=$1 builtin=$2 total=$3 n=0 i f fam id w=${#words[@]}
    rm -rf "$dir"; mkdir -p "$dir"
    while IFS= read -r f; do
        [ "$n" -ge "$builtin" ] && break
        fam=$(basename "$(dirname "$f")"); mkdir -p "$dir/$fam"; cp "$f" "$dir/$fam/"; n=$((n + 1))
    done < <(cd "$REPO" && find rules -name '*.toml' | sort | sed "s|^|$REPO/|")
    for ((i = 0; n < total; i++, n++)); do
        fam=${families[i % 14]}; id=$(printf 'synthetic-%03d' "$i"); mkdir -p "$dir/$fam"
        cat > "$dir/$fam/$id.toml" <<TOML
id = "$id"
title = "Synthetic rule $i"
family = "$fam"
severity = "low"
status = "experimental"
description = "Synthesized for benchmarks."
fix = "Nothing to fix."

[match]
condition = "a or (b and c)"

[match.patterns]
a = { regex = '${words[i % w]} ${words[(i * 7 + 3) % w]} (?:failed|refused|timed out): \\S+', in = "error" }
b = { regex = '(?i)${words[(i * 3 + 1) % w]}[ _-]${words[(i * 11 + 5) % w]} \\d+', in = "log" }
c = { literal = "${words[(i * 5 + 2) % w]} ${words[(i * 13 + 7) % w]}", in = "output", case_insensitive = true }
TOML
    done
}
make_rules "$BENCH_DIR/rules-50" 50 50
make_rules "$BENCH_DIR/rules-200" 1000 200
for set in 50 200; do
    "$TRIAGE" rules validate "$BENCH_DIR/rules-$set" >/dev/null 2>&1 ||
        { echo "bench.sh: rules-$set does not validate" >&2; "$TRIAGE" rules validate "$BENCH_DIR/rules-$set" >&2; exit 1; }
done

echo "== warm the page cache"
find "$CORPUS" -type f -print0 | xargs -0 cat > /dev/null

SCAN="$TRIAGE scan $CORPUS --format json -o /dev/null --no-progress $JOBS"
RG="rg -c -f $BENCH_DIR/patterns.txt $CORPUS"
S50="$TRIAGE scan $CORPUS --format json -o /dev/null --no-progress $JOBS --no-builtin-rules --rules $BENCH_DIR/rules-50"
S200="$TRIAGE scan $CORPUS --format json -o /dev/null --no-progress $JOBS --no-builtin-rules --rules $BENCH_DIR/rules-200"

# hyperfine runs all runs of one command before the next; to alternate, each round runs every
# command once (round 1 with a warm-up run each).
rm -f "$OUT"/round-*.json
for ((r = 1; r <= ROUNDS; r++)); do
    warm=0; [ "$r" -eq 1 ] && warm=1
    cmds=(-n triage "$SCAN" -n rules-50 "$S50" -n rules-200 "$S200")
    [ "$r" -le "$RG_ROUNDS" ] && cmds+=(-n rg "$RG")
    echo "== round $r/$ROUNDS"
    hyperfine --style basic --warmup "$warm" --runs 1 -i --export-json "$OUT/round-$r.json" "${cmds[@]}" >/dev/null
done
median() { # median NAME
    jq -s --arg n "$1" '[.[].results[] | select(.command == $n) | .mean] | sort
        | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$OUT"/round-*.json
}

rss() { # rss CMD... -> peak RSS in KiB
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}
echo "== peak RSS (/usr/bin/time -v)"
rss_scan=$(rss $SCAN)
rss_rg=$(rss $RG)

bytes=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
files=$(find "$CORPUS" -type f | wc -l)
t_scan=$(median triage); t_rg=$(median rg); t50=$(median rules-50); t200=$(median rules-200)
load=$(cut -d' ' -f1-3 /proc/loadavg)

awk -v b="$bytes" -v f="$files" -v ts="$t_scan" -v tr="$t_rg" -v t50="$t50" -v t200="$t200" \
    -v rs="$rss_scan" -v rr="$rss_rg" -v rounds="$ROUNDS" -v rgr="$RG_ROUNDS" -v load="$load" \
    -v cores="$(nproc)" 'BEGIN {
    mib = b / 1048576
    printf "\ncorpus: %.1f MiB in %d files; %d cores; load average at the end: %s\n", mib, f, cores, load
    printf "medians of %d alternating rounds (ripgrep in %d)\n\n", rounds, rgr
    printf "| %-36s | %10s | %9s | %12s |\n", "command", "median s", "MiB/s", "peak RSS MiB"
    printf "|%s|%s|%s|%s|\n", "--------------------------------------", "------------", "-----------", "--------------"
    printf "| %-36s | %10.3f | %9.0f | %12.1f |\n", "triage scan --format json", ts, mib / ts, rs / 1024
    if (tr != "null") printf "| %-36s | %10.3f | %9.0f | %12.1f |\n", "rg -c -f <(triage rules patterns)", tr, mib / tr, rr / 1024
    printf "| %-36s | %10.3f | %9.0f | %12s |\n", "triage scan, 50 rules", t50, mib / t50, "-"
    printf "| %-36s | %10.3f | %9.0f | %12s |\n", "triage scan, 200 rules", t200, mib / t200, "-"
    printf "\n"
    if (tr != "null") printf "triage / rg time:        %.3f  (target <= 1.0)\n", ts / tr
    printf "200 rules / 50 rules:    %.3f  (target < 1.3)\n", t200 / t50
    printf "triage peak RSS:         %.1f MiB  (target <= 64)\n", rs / 1024
}' | tee "$OUT/summary.txt"
