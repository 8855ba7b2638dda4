#!/usr/bin/env bash
# The README's device host figures: the NativeAOT ddnn-device beside `ddnn device` under the JIT, on one device partition.
#   scripts/device-host-figures.sh <ddnn-device> <ddnn> <devN.ddnnp> [views=2000] [repeats=5]
# Views are seeded uniform [0, 1) floats. For each program: one view (start to exit: load, first message, exit) and
# <views> views, each run <repeats> times; prints the median wall times, per-sample time ((many - one) / (views - 1))
# and the largest peak RSS (/usr/bin/time -v).
set -euo pipefail
host="$1"; ddnn="$2"; partition="$3"; views="${4:-2000}"; repeats="${5:-5}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# The view length in bytes, from the host's one-line refusal of a 4-byte stream.
length=$(head -c 4 /dev/zero | "$host" --partition "$partition" 2>&1 >/dev/null | sed -n 's/.*each view is \([0-9]*\) bytes.*/\1/p' || true)
[ -n "$length" ] || { echo "device-host-figures: could not learn the view length from $host" >&2; exit 1; }
python3 - "$work" "$length" "$views" <<'PY'
import array, random, sys
work, length, views = sys.argv[1], int(sys.argv[2]) // 4, int(sys.argv[3])
rng = random.Random(1)
for name, n in (("one", 1), ("many", views)):
    with open(f"{work}/{name}.f32", "wb") as f:
        array.array("f", (rng.random() for _ in range(n * length))).tofile(f)
PY

# Median wall microseconds and max peak RSS (kB) of <repeats> runs of "$@".
measure() {
  local walls=() rss=0 r start wall kb
  for _ in $(seq "$repeats"); do
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null
    wall=$(( ($(date +%s%N) - start) / 1000 ))   # microseconds
    read -r kb < "$work/time"
    walls+=("$wall"); [ "$kb" -gt "$rss" ] && rss=$kb
  done
  r=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (repeats + 1) / 2 ))p")
  echo "$r $rss"
}

# Tenths to "n.d".
fmt() { echo "$(( $1 / 10 )).$(( $1 % 10 ))"; }

printf '%-12s %10s %14s %14s %16s %14s\n' program size_bytes one_view_ms "${views}_views_ms" per_sample_us peak_rss_kB
for program in aot jit; do
  if [ "$program" = aot ]; then
    size=$(stat -c %s "$host")
    run=("$host" --partition "$partition")
  else
    dir=$(dirname "$(readlink -f "$ddnn")")
    # ddnn's own assemblies and the engine's (its other packages are not part of this work); the shared runtime apart.
    size=$(cat "$ddnn" "$dir"/ddnn.dll "$dir"/Ddnn.Core.dll "$dir"/Ddnn.Kernels.dll "$dir"/Ddnn.Training.dll | wc -c)
    run=("$ddnn" device --partition "$partition")
  fi
  read -r one rss1 < <(measure "${run[@]}" --views "$work/one.f32" --out "$work/out")
  read -r many rss2 < <(measure "${run[@]}" --views "$work/many.f32" --out "$work/out")
  printf '%-12s %10s %14s %14s %16s %14s\n' "$program" "$size" "$(fmt $(( one / 100 )))" "$(fmt $(( many / 100 )))" \
    "$(fmt $(( (many - one) * 10 / (views - 1) )))" "$(( rss1 > rss2 ? rss1 : rss2 ))"
done
