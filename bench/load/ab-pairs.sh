#!/bin/bash
# A/B pairs of two builds of boxfep on one machine, back to back, each run with the echo baseline in
# the same run (so costs can also be read in echo units). Used for docs/performance.md's fourth round.
#   bench/load/ab-pairs.sh OLD_CHECKOUT NEW_CHECKOUT OUTDIR [PAIRS]
# Both checkouts must be built (npm run build). Runs take ~1 min (sales) and ~2.5 min (mix) each.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 OLD_CHECKOUT NEW_CHECKOUT OUTDIR [PAIRS]" >&2
  exit 2
fi
OLD=$1 NEW=$2 OUT=$3 PAIRS=${4:-2}
mkdir -p "$OUT"
run() { # label checkout bench-args...
  local label=$1 dir=$2
  shift 2
  echo "== $label $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/log"
  (cd "$dir" && node dist/src/cli/main.js bench --spawn --quiet --json "$OUT/$label.json" "$@" 2>&1 |
    grep -E "machine:|server pid|worst seconds|start of load|ratios|all  |SLO|pushes|warm-up errors" | tee -a "$OUT/log")
}
SALE=(--boxes 1000 --rate 1000 --warmup 5 --duration 15 --mix sale=1 --generators 1 --baseline echo)
for i in $(seq 1 "$PAIRS"); do
  for wallet in UP WX; do
    run "sale-$wallet-old-$i" "$OLD" "${SALE[@]}" --wallets "$wallet"
    run "sale-$wallet-new-$i" "$NEW" "${SALE[@]}" --wallets "$wallet"
  done
done
MIX=(--boxes 10000 --rate 1000 --warmup 10 --duration 20 --wallets WX,UP --baseline echo)
run mix-old "$OLD" "${MIX[@]}"
run mix-new "$NEW" "${MIX[@]}"
