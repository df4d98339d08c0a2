#!/usr/bin/env bash
# Runs every fuzz target for a fixed budget, one after the other, from the committed corpus.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all targets)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Exits non-zero on
# the first crash; its input is left in fuzz/artifacts/TARGET/. New corpus entries go to
# fuzz/corpus/TARGET/: shrink with `cargo +nightly fuzz cmin TARGET` before committing them.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(cookie_decode cookie_verify basic_auth cookie_header greet)
fi
for t in "${targets[@]}"; do
  log="$(mktemp)"
  if cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $t: ${secs} s, ${runs} runs, no crash"
    rm -f "$log"
  else
    tail -40 "$log"
    echo "fuzz $t: CRASH (input in fuzz/artifacts/$t/, log $log)"
    exit 1
  fi
done
