#!/usr/bin/env bash
# Whole-process benchmark of `triage scan` against ripgrep on both corpus styles at two sizes
# (issues #5 and #12; docs/performance.md, "Benchmark method").
#
#   scripts/bench.sh                          # realistic + prose, 128 and 512 MiB, 5 rounds
#   SIZES=128 ROUNDS=3 scripts/bench.sh       # quicker
#   PROFILE=dist scripts/bench.sh             # the fat-LTO distribution build
#
# For every corpus (style x size) it times, in ONE hyperfine invocation whose command list
# repeats the three commands ROUNDS times (so runs alternate: A B C A B C ...):
#   triage   triage scan DIR --format json -o /dev/null --no-progress
#   rg-f     rg -c -f PATTERNS DIR        (PATTERNS = `triage rules patterns`)
#   floor    rg -c -F -e CreateProcessAsUserW -e 'Codex error' -e 'blocked by policy' DIR
# and reports median times, MiB/s, the medians of the per-round ratios triage/floor and
# triage/rg-f, and peak RSS of one extra run of each (GNU time), so growth with size shows.
#
# Environment:
#   STYLES      corpus styles (default "realistic prose")
#   SIZES       corpus sizes in MiB (default "128 512")
#   SEED        generator seed (7)
#   ROUNDS      alternating rounds (5)
#   RG_ROUNDS   rounds that include rg-f on the realistic corpus (default 1: ripgrep takes
#               minutes there; 0 skips it, RSS run included; on the prose corpus rg-f runs
#               in every round)
#   PROFILE     cargo profile of the triage binary: release (default) or dist
#   THREADS     passed to `triage scan -j` (default: all cores)
#   SCALING=1   also time 50 vs 200 rules (`gen_corpus --write-rules`) on each corpus
#   BENCH_DIR   work folder outside the repository (default ${TMPDIR:-/tmp}/triage-bench);
#               corpora are kept there and reused (delete one to regenerate it)
# Installs nothing. Needs: cargo, hyperfine, rg (ripgrep), jq, GNU time (/usr/bin/time).
set -euo pipefail

STYLES=${STYLES:-realistic prose}
SIZES=${SIZES:-128 512}
SEED=${SEED:-7}
ROUNDS=${ROUNDS:-5}
RG_ROUNDS=${RG_ROUNDS:-1}
PROFILE=${PROFILE:-release}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/triage-bench}
REPO=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
TRIAGE=$TARGET/$PROFILE/triage
GEN=$TARGET/release/examples/gen_corpus
OUT=$BENCH_DIR/results
JOBS=${THREADS:+-j $THREADS}

missing=()
for tool in cargo hyperfine rg jq; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ! -x /usr/bin/time ] || ! /usr/bin/time --version 2>&1 | grep -q GNU; then
    missing+=("GNU time (/usr/bin/time)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench.sh: missing: ${missing[*]}" >&2
    echo "  install (Debian/Ubuntu): sudo apt-get update && sudo apt-get install -y hyperfine ripgrep jq time" >&2
    exit 2
fi
case "$BENCH_DIR/" in "$REPO"/*) echo "bench.sh: BENCH_DIR must be outside the repository" >&2; exit 2 ;; esac
mkdir -p "$BENCH_DIR" "$OUT"

echo "== build ($PROFILE triage, release gen_corpus)"
(cd "$REPO" && cargo build --profile "$PROFILE" --quiet --bin triage \
    && cargo build --release --quiet --example gen_corpus)

"$TRIAGE" rules patterns > "$BENCH_DIR/patterns.txt"
if [ "${SCALING:-0}" = 1 ]; then
    for n in 50 200; do
        rm -rf "$BENCH_DIR/rules-$n"
        "$GEN" --write-rules "$n" "$BENCH_DIR/rules-$n" >/dev/null
        "$TRIAGE" rules validate "$BENCH_DIR/rules-$n" >/dev/null 2>&1 ||
            { echo "bench.sh: rules-$n does not validate" >&2; "$TRIAGE" rules validate "$BENCH_DIR/rules-$n" >&2; exit 1; }
    done
fi

rss_kib() { # rss_kib CMD... -> peak RSS in KiB of one run
    /usr/bin/time -f '%M' -o "$OUT/rss.tmp" "$@" >/dev/null 2>&1 || true
    tail -n 1 "$OUT/rss.tmp"
}

# median NAME FILE: median of the mean times of the hyperfine entries named NAME.
median() {
    jq --arg n "$1" '[.results[] | select(.command == $n) | .mean] | sort
        | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$2"
}
# median_user NAME FILE: the same for user CPU time (steadier than wall time on a loaded box).
median_user() {
    jq --arg n "$1" '[.results[] | select(.command == $n) | .user] | sort
        | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$2"
}
# ratio_median A B FILE: median over rounds of time(A in round r) / time(B in round r).
ratio_median() {
    jq --arg a "$1" --arg b "$2" '
        [.results[] | {c: .command, t: .mean}] as $r
        | [ $r[] | select(.c | startswith($a + "#")) ] as $aa
        | [ $aa[] | .c as $c | ($c | split("#")[1]) as $k
            | ($r[] | select(.c == ($b + "#" + $k)) | .t) as $bt | .t / $bt ] | sort
        | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$3"
}

summary=$OUT/summary.md
{
    echo "# scripts/bench.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "profile $PROFILE; $(nproc) cores; rounds $ROUNDS (rg-f on realistic: $RG_ROUNDS); seed $SEED"
    echo
    echo "| corpus | MiB | files | command | median s | MiB/s | median user CPU s | peak RSS MiB |"
    echo "|---|---:|---:|---|---:|---:|---:|---:|"
} > "$summary"
ratios=$OUT/ratios.tmp; : > "$ratios"

for style in $STYLES; do
    for mib in $SIZES; do
        corpus=$BENCH_DIR/$style-$mib
        if [ ! -d "$corpus/state" ]; then
            echo "== corpus: $style, $mib MiB, seed $SEED -> $corpus"
            "$GEN" --style "$style" --mib "$mib" --seed "$SEED" "$corpus"
        else
            echo "== corpus: $corpus (exists; delete it to regenerate)"
        fi
        bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
        files=$(find "$corpus" -type f | wc -l)
        echo "== warm the page cache"
        find "$corpus" -type f -print0 | xargs -0 cat > /dev/null

        scan="$TRIAGE scan $corpus --format json -o /dev/null --no-progress $JOBS"
        rgf="rg -c -f $BENCH_DIR/patterns.txt $corpus"
        floor="rg -c -F -e CreateProcessAsUserW -e 'Codex error' -e 'blocked by policy' $corpus"
        rg_rounds=$ROUNDS; [ "$style" = realistic ] && rg_rounds=$RG_ROUNDS
        cmds=()
        for ((r = 1; r <= ROUNDS; r++)); do
            cmds+=(-n "triage#$r" "$scan" -n "floor#$r" "$floor")
            [ "$r" -le "$rg_rounds" ] && cmds+=(-n "rg-f#$r" "$rgf")
            if [ "${SCALING:-0}" = 1 ]; then
                cmds+=(-n "rules-50#$r" "$scan --no-builtin-rules --rules $BENCH_DIR/rules-50")
                cmds+=(-n "rules-200#$r" "$scan --no-builtin-rules --rules $BENCH_DIR/rules-200")
            fi
        done
        json=$OUT/$style-$mib.json
        echo "== $style $mib MiB: $ROUNDS alternating rounds"
        # -i: rg exits 1 when a file has no match.
        hyperfine --style basic --runs 1 -i --export-json "$json.raw" "${cmds[@]}" >/dev/null
        # Entry names "triage#3" -> "triage" for the medians; keep the raw file for ratios.
        jq '.results |= map(.command as $c | .round = ($c | split("#")[1]) | .name = ($c | split("#")[0]))' \
            "$json.raw" > "$json"
        jq '.results |= map(.command = .name)' "$json" > "$json.byname"

        echo "== $style $mib MiB: peak RSS (GNU time, one run each)"
        rss_t=$(rss_kib $scan)
        rss_r=0
        [ "$rg_rounds" -gt 0 ] && rss_r=$(rss_kib rg -c -f "$BENCH_DIR/patterns.txt" "$corpus")
        rss_f=$(rss_kib rg -c -F -e CreateProcessAsUserW -e 'Codex error' -e 'blocked by policy' "$corpus")

        row() { # row NAME LABEL RSS_KIB
            local t u; t=$(median "$1" "$json.byname"); u=$(median_user "$1" "$json.byname")
            awk -v s="$style" -v m="$bytes" -v f="$files" -v n="$2" -v t="$t" -v u="$u" -v r="$3" 'BEGIN {
                mib = m / 1048576
                rs = (r > 0 ? sprintf("%.1f", r / 1024) : "-")
                if (t == "null") printf "| %s | %.0f | %d | %s | - | - | - | %s |\n", s, mib, f, n, rs
                else printf "| %s | %.0f | %d | %s | %.3f | %.0f | %.3f | %s |\n", s, mib, f, n, t, mib / t, u, rs }'
        }
        {
            row triage "triage scan --format json" "$rss_t"
            row floor "rg -c -F (3 literals, the floor)" "$rss_f"
            row rg-f "rg -c -f <(triage rules patterns)" "$rss_r"
            if [ "${SCALING:-0}" = 1 ]; then
                row rules-50 "triage scan, 50 rules" 0
                row rules-200 "triage scan, 200 rules" 0
            fi
        } >> "$summary"
        tf=$(ratio_median triage floor "$json.raw")
        tr=$(ratio_median triage rg-f "$json.raw")
        echo "$style $mib $tf $tr $rss_t" >> "$ratios"
    done
done

{
    echo
    echo "Ratios: medians of the per-round ratios (each round runs the commands back to back)."
    echo
    echo "| corpus | MiB | triage / floor | triage / rg -c -f | triage peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|"
    awk '{ printf "| %s | %s | %s | %s | %.1f |\n", $1, $2,
        ($3 == "null" ? "-" : sprintf("%.2f", $3)), ($4 == "null" ? "-" : sprintf("%.3f", $4)), $5 / 1024 }' "$ratios"
    echo
    echo "Targets (issue #12, at 512 MiB): triage <= 3x the floor, <= 0.5x rg -c -f, peak RSS <= 40 MiB."
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$summary"
rm -f "$ratios" "$OUT/rss.tmp"
echo
cat "$summary"
