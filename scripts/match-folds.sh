#!/usr/bin/env bash
# How well `triage match` generalises on ../shared/corpus/issues: per-fold micro-F1 of a
# k-fold split by thread (fixed seed), the retrieval thresholds chosen on the training folds
# and their score on the held fold, then the dev/held-out split and the per-signature table;
# with testdata/match-unseen and its batch2-4 (upstream snippets the rules were not written
# from) as further sets.
# Usage: scripts/match-folds.sh [K] [held|dev|all|extra|candidates]
#   K folds (default 5); the second argument lists that part's misses (`candidates`: the
#   retrieval stage's raw best guess for each miss).
set -euo pipefail
cd "$(dirname "$0")/.."
export MATCH_KFOLD="${1:-5}"
export MATCH_DETAIL="${2:-}"
export MATCH_EXTRA="${MATCH_EXTRA:-testdata/match-unseen:testdata/match-unseen/batch2:testdata/match-unseen/batch3:testdata/match-unseen/batch4}"
exec nice cargo test --test match_corpus -- --nocapture --test-threads=1
