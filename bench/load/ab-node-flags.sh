#!/bin/bash
# A/B pairs of node flags for the spawned boxfep, one build, back to back: the headline command (or
# the bench arguments given after the flag sets), each run with the echo baseline in the same run.
# Used for docs/performance.md's fourteenth round (the heap floor).
#   bench/load/ab-node-flags.sh OUTDIR PAIRS "FLAGS_A" "FLAGS_B" [bench args...]
# e.g. bench/load/ab-node-flags.sh /tmp/floor 4 "" "--initial-old-space-size=1024"
# Each run writes OUTDIR/a-N.json or b-N.json; OUTDIR/log has the summary lines. Run from a built
# checkout (npm run build); about 1 min 40 s per run.
set -u
if [ $# -lt 4 ]; then
  echo "usage: $0 OUTDIR PAIRS \"FLAGS_A\" \"FLAGS_B\" [bench args...]" >&2
  exit 2
fi
OUT=$1 PAIRS=$2 FLAGS_A=$3 FLAGS_B=$4
shift 4
ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ]; then
  ARGS=(--boxes 10000 --rate 2000 --warmup 10 --duration 20 --wallets WX,UP --baseline echo --load-nice 10)
fi
mkdir -p "$OUT"
for i in $(seq 1 "$PAIRS"); do
  for side in a b; do
    if [ $side = a ]; then flags=$FLAGS_A; else flags=$FLAGS_B; fi
    node_args=()
    for f in $flags; do node_args+=("--server-node-arg=$f"); done
    echo "== $side-$i [$flags] $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/log"
    node dist/src/cli/main.js bench --spawn --quiet --json "$OUT/$side-$i.json" "${ARGS[@]}" "${node_args[@]}" 2>&1 |
      grep -E "per idle|^  all|p99 second|server pid|worst seconds|ratios|machine:" | tee -a "$OUT/log"
  done
done
