#!/usr/bin/env bash
# The CI jobs beyond ./test.sh (.ci/run runs ./test.sh first, then this):
#   1. the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (preset asan),
#   2. the concurrency tests under ThreadSanitizer (preset tsan, only the targets they need),
#   3. each libFuzzer target for HOURGLASS_FUZZ_SECONDS (default 30) from its seed corpus
#      (preset fuzz), two at a time.
# Any sanitizer report from any process (test binaries and every hourglassd they start) or any
# fuzzer finding fails the run. Prints the time of each stage at the end.
#
# Environment: HOURGLASS_FUZZ_SECONDS (per target), HOURGLASS_CI_STAGES (a subset of
# "asan tsan fuzz", default all). ccache is used when it is installed, not required.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds="${HOURGLASS_FUZZ_SECONDS:-30}"
stages="${HOURGLASS_CI_STAGES:-asan tsan fuzz}"
jobs="$(nproc)"
reports="$PWD/build-reports"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# The concurrency tests: threads racing in-process (built under TSan), and the daemon's I/O
# threads, journal writer, subscriptions and snapshots under concurrent clients — the ASan
# build's test binaries driving a ThreadSanitizer hourglassd (HOURGLASS_TEST_DAEMON), so only
# the daemon and one small test binary are built under TSan.
tsan_unit_tests='^Concurrency\.'
tsan_daemon_tests='^(DaemonTest\.(Racing|Pipelined|SigtermWithPipelined)|RoutingRulesTest\..*UnderLoad|JournalTest\.(StalledSubscriber|Snapshots|KillNineTwentyTimes))'
tsan_targets=(hourglassd hourglass_concurrency_tests)

# Sets cpu_now to the CPU seconds used so far by finished child processes (user + sys). `times`
# must run in this shell (in a $(...) subshell it would see no children), so it writes a file.
cpu_file="$(mktemp)"
trap 'rm -f "$cpu_file"' EXIT
child_cpu() {
  times >"$cpu_file"
  cpu_now="$(tail -n 1 "$cpu_file" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')"
}

# Runs a stage and records its wall time and the CPU time it used: on a shared machine the
# CPU time over the core count estimates the wall time the stage would take alone.
timings=()
stage() {
  local name="$1" start="$SECONDS" cpu_start
  child_cpu
  cpu_start="$cpu_now"
  shift
  echo "== ci: $name"
  "$@"
  child_cpu
  timings+=("$(printf '%-26s %5d s wall %6d s cpu' "$name" $((SECONDS - start)) \
    $((cpu_now - cpu_start)))")
}

# Fails (listing them) when any sanitizer wrote a report into $1.
no_reports() {
  if compgen -G "$1/*" >/dev/null; then
    echo "ci: sanitizer findings:" >&2
    cat "$1"/* >&2
    return 1
  fi
}

# ctest with every process's sanitizer reports going to $1 (the variables reach the daemons
# the tests start); fails on a failed test or on any report.
ctest_reporting() {
  local dir="$1"
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  local status=0
  ASAN_OPTIONS="log_path=$dir/asan:detect_leaks=1" \
    UBSAN_OPTIONS="log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1" \
    TSAN_OPTIONS="log_path=$dir/tsan:detect_deadlocks=0:halt_on_error=1" \
    ctest "$@" --output-on-failure -j"$jobs" --timeout 900 || status=$?
  no_reports "$dir" || status=1
  return "$status"
}

asan_build() {
  cmake --preset asan "${launcher[@]}" >/dev/null
  cmake --build build-asan -j"$jobs"
}
asan_test() { ctest_reporting "$reports/asan" --test-dir build-asan; }

tsan_build() {
  cmake --preset tsan "${launcher[@]}" >/dev/null
  cmake --build build-tsan -j"$jobs" --target "${tsan_targets[@]}"
}
tsan_test() {
  ctest_reporting "$reports/tsan" --test-dir build-tsan -R "$tsan_unit_tests"
  HOURGLASS_TEST_DAEMON="$PWD/build-tsan/bin/hourglassd" \
    ctest_reporting "$reports/tsan-daemon" --test-dir build-asan -R "$tsan_daemon_tests"
}

fuzz_build() {
  cmake --preset fuzz "${launcher[@]}" >/dev/null
  cmake --build build-fuzz -j"$jobs" --target hourglass_fuzzers
}

# One target: a fresh working corpus seeded from tests/fuzz/<target>/; a crash, a sanitizer
# report, a broken invariant, an input slower than 30 s or a leak is a finding (exit != 0), its
# input saved as build-fuzz/findings/<target>-crash-*.
fuzz_one() {
  local target="$1" work="build-fuzz/corpus/$1"
  rm -rf "$work" && mkdir -p "$work" build-fuzz/findings
  if ! "build-fuzz/bin/fuzz_$target" -max_total_time="$fuzz_seconds" -timeout=30 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$target-" \
    "$work" "tests/fuzz/$target" >"build-fuzz/fuzz_$target.log" 2>&1; then
    echo "ci: fuzz_$target found something:" >&2
    tail -n 60 "build-fuzz/fuzz_$target.log" >&2
    return 1
  fi
  echo "fuzz_$target: $(grep -o 'stat::number_of_executed_units: [0-9]*' \
    "build-fuzz/fuzz_$target.log" | grep -o '[0-9]*$') executions in ${fuzz_seconds} s"
}
fuzz_run() {
  local targets
  read -r -a targets < <(sed -n 's/^set(HOURGLASS_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/targets.cmake)
  local status=0 i
  for ((i = 0; i < ${#targets[@]}; i += 2)); do
    local pids=()
    fuzz_one "${targets[i]}" &
    pids+=($!)
    if ((i + 1 < ${#targets[@]})); then
      fuzz_one "${targets[i + 1]}" &
      pids+=($!)
    fi
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  done
  return "$status"
}

for s in $stages; do
  case "$s" in
    asan)
      stage "asan+ubsan build" asan_build
      stage "asan+ubsan suite" asan_test
      ;;
    tsan)
      # The daemon tests come from the ASan build.
      [ -x build-asan/bin/hourglass_daemon_tests ] || stage "asan+ubsan build" asan_build
      stage "tsan build" tsan_build
      stage "tsan concurrency tests" tsan_test
      ;;
    fuzz)
      stage "fuzz build" fuzz_build
      stage "fuzz ${fuzz_seconds} s per target" fuzz_run
      ;;
    *) echo "ci: unknown stage $s (asan, tsan, fuzz)" >&2 && exit 2 ;;
  esac
done
printf 'ci: %s\n' "${timings[@]}"
