#!/usr/bin/env bash
# Finds the highest frame rate a served deployment sustains with no unanswered sample, then measures latency at half
# that rate. Every run is `ddnn serve all` (every tier its own process); the rest of the arguments go to it unchanged
# (model, data, threshold, --broker). Each step must answer every measured sample as the healthy deployment would (no
# "None" answer, no fallback, no device's scores missing) and reach 95% of the rate asked for; the sweep stops at the
# first step that does not.
#
#   scripts/serve-sweep.sh <out dir> "<rate> <rate> ..." -- ddnn serve all options...
#   e.g. scripts/serve-sweep.sh /tmp/sweep "250 500 1000 1500 2000 3000" -- --model run/model.ddnn --dataset fmnist \
#        --threshold 0.5 --in-flight 64 --broker mqtt://127.0.0.1:1883
#
# Needs `ddnn` on PATH (or DDNN=<path to the ddnn executable>) and jq. Prints one line per step and writes each
# step's summary.json under <out dir>/rate-<r>/.
set -euo pipefail
if [[ $# -lt 3 || $3 != "--" ]]; then
    echo "usage: $0 <out dir> \"<rate> ...\" -- <ddnn serve all options>" >&2
    exit 2
fi
out=$1 rates=$2
shift 3
ddnn=${DDNN:-ddnn}
mkdir -p "$out"

step() { # rate dir -> prints "ok|fail answered/s unanswered givenUp degraded"
    local rate=$1 dir=$2
    shift 2
    "$ddnn" serve all "$@" --rate "$rate" --out "$dir" > "$dir.log" 2>&1 || { echo "fail 0 - - (exit $?, see $dir.log)"; return; }
    jq -r --argjson rate "$rate" '
        (.unanswered + .givenUp + .degraded) as $lost
        | (if $lost == 0 and .answeredPerSecond >= 0.95 * $rate then "ok" else "fail" end)
          + " \(.answeredPerSecond | floor) \(.unanswered) \(.givenUp) \(.degraded)"' "$dir/summary.json"
}

best=0
for rate in $rates; do
    result=$(step "$rate" "$out/rate-$rate" "$@")
    read -r verdict persecond unanswered givenup degraded _ <<< "$result"
    echo "rate $rate/s: $verdict, answered $persecond/s, unanswered $unanswered, given up $givenup, degraded $degraded; load $(cut -d' ' -f1-3 /proc/loadavg)"
    [[ $verdict == ok ]] || break
    best=$rate
done
if [[ $best == 0 ]]; then
    echo "no rate sustained"
    exit 1
fi
half=$(( best / 2 ))
echo "highest rate sustained: $best/s; latency at half that rate ($half/s):"
step "$half" "$out/half-$half" "$@" > /dev/null
jq -r '.latencyMs | to_entries[] | "  \(.key): \(.value.samples) samples, p50 \(.value.p50) ms, p95 \(.value.p95) ms, p99 \(.value.p99) ms"' "$out/half-$half/summary.json"
echo "  unanswered $(jq '.unanswered' "$out/half-$half/summary.json"), given up $(jq '.givenUp' "$out/half-$half/summary.json"), degraded $(jq '.degraded' "$out/half-$half/summary.json"); load $(cut -d' ' -f1-3 /proc/loadavg)"
