#!/usr/bin/env bash
# `make fuzz`: configures build/fuzz (clang-14, LIFELINE_FUZZ) if needed, builds the fuzz targets,
# runs each for FUZZ_SECONDS from its seed corpus fuzz/corpus/<target>/ (read only: new inputs go
# to a scratch folder), prints per target its executions, coverage and result, and fails if any
# target crashed, naming the crash input.
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   which targets (default: all)
#   FUZZ_WORK      the scratch folder (default: a new one under /tmp); kept after the run
#   BUILD_LOCK     a lock file the build waits for (default /tmp/lifeline-build.lock)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=build/fuzz
lock=${BUILD_LOCK:-/tmp/lifeline-build.lock}
all=(config_fuzz statuspage_fuzz feed_fuzz agent_fuzz webhooks_fuzz channel_answers_fuzz
  listen_fuzz ads_fuzz)
read -r -a targets <<<"${FUZZ_TARGETS:-${all[*]}}"
work=${FUZZ_WORK:-$(mktemp -d /tmp/lifeline-fuzz.XXXXXX)}

if [[ ! -f $build/build.ninja ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFELINE_FUZZ=ON -DLIFELINE_TESTS=OFF \
    -DLIFELINE_BENCH=OFF >/dev/null
fi
flock "$lock" nice ninja -C "$build" -j "${JOBS:-2}" "${targets[@]}"

echo "fuzz: ${#targets[@]} targets, ${seconds}s each; scratch corpus and logs in $work"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  log=$work/$t/fuzz.log
  set +e
  "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
    "$work/$t/corpus" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  if ((rc == 0)); then
    printf '%-22s ok     %6s execs  cov %-5s ft %-6s corpus %s\n' "$t" "${execs:-?}" \
      "${cov:-?}" "${ft:-?}" "${corpus:-?}"
  else
    failed+=("$t")
    printf '%-22s FAILED (exit %d), log %s\n' "$t" "$rc" "$log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken)' "$log" | head -3 | sed 's/^/    /'
    for a in "$work/$t/artifacts"/*; do
      [[ -e $a ]] && echo "    crash input: $a (replay: $build/fuzz/$t $a)"
    done
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash"
