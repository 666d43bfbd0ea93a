#!/usr/bin/env bash
# Builds the libFuzzer targets (with AddressSanitizer) and fuzzes them.
#
#   scripts/fuzz.sh replay                     replay Fuzz/corpus and Fuzz/crashers (plain build; CI)
#   scripts/fuzz.sh build                      build .build-fuzz/release/convrelu-fuzz
#   scripts/fuzz.sh run <target> [runs] [args] fuzz one target, starting from Fuzz/corpus/<target>
#   scripts/fuzz.sh all [runs]                 every target in turn
#   scripts/fuzz.sh short [seconds]            build, then every target for 30 s (CI)
#
# runs defaults to 1000000. New inputs go to a scratch corpus under .build-fuzz/corpus/<target>
# (the committed seeds stay as they are); a crash, leak, hang (>10 s) or a process above 512 MB
# writes its input to Fuzz/crashers/<target>/ and stops the run with a non-zero status.
# Extra args go to libFuzzer (e.g. -max_total_time=60). The log is .build-fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/blas-env.sh
targets=(checkpoint text-csv text-classes archive cifar config classify)
binary=.build-fuzz/release/convrelu-fuzz

build() {
  # A separate scratch path: the instrumented objects never mix with the ordinary build. The
  # coverage flags are those of -sanitize=fuzzer; that flag itself would also link libFuzzer's
  # main(), which clashes with the command's own (SwiftPM links every executable's main under
  # another name), so libFuzzer comes without it and the command calls LLVMFuzzerRunDriver.
  local toolchain fuzzer
  toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
  fuzzer=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
  swift build -c release --scratch-path .build-fuzz --product convrelu-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xswiftc -D -Xswiftc FUZZING -Xlinker "$fuzzer" -Xlinker -lstdc++
}

# The largest input per target: a few CIFAR records, a small archive; text and JSON stay short.
# classify's inputs stay a few lines long, since every line runs the model (longer lines are cut
# to the model's 130 columns anyway).
max_len() {
  case "$1" in
    cifar) echo 16384 ;;
    archive|checkpoint) echo 8192 ;;
    classify) echo 256 ;;
    *) echo 4096 ;;
  esac
}

# JSON targets start from the tokens and keys of configs and safetensors headers.
dictionary() {
  case "$1" in
    config|checkpoint) echo "-dict=Fuzz/dictionaries/json.dict" ;;
  esac
}

run() {
  local target=$1 runs=${2:-1000000}
  shift $(( $# < 2 ? $# : 2 ))
  [ -x "$binary" ] || build
  mkdir -p ".build-fuzz/corpus/$target" ".build-fuzz/logs" "Fuzz/crashers/$target"
  # Swift's own crash reporter would wait on a crashed process that libFuzzer handles itself.
  SWIFT_BACKTRACE=enable=no /usr/bin/time -v "$binary" fuzz "$target" \
    -runs="$runs" -rss_limit_mb=512 -timeout=10 -max_len="$(max_len "$target")" -print_final_stats=1 $(dictionary "$target") \
    -artifact_prefix="Fuzz/crashers/$target/" "$@" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" \
    2>&1 | tee ".build-fuzz/logs/$target.log"
}

# Every committed seed and crasher through its target in the ordinary release build (CI).
# `swift test -c release` builds the command too; otherwise it is built here.
replay() {
  [ -x .build/release/convrelu-fuzz ] || swift build -c release --product convrelu-fuzz
  local target
  for target in "${targets[@]}"; do
    .build/release/convrelu-fuzz replay "$target" "Fuzz/corpus/$target" $(ls -d "Fuzz/crashers/$target" 2>/dev/null) \
      | awk -v t="$target" '{ n++ } / accepted$/ { a++ } END { printf "%-13s %d inputs, %d accepted, the rest rejected cleanly\n", t, n, a }'
  done
}

case "${1:-}" in
  build) build ;;
  replay) replay ;;
  run) shift; run "$@" ;;
  all) for target in "${targets[@]}"; do run "$target" "${2:-1000000}"; done ;;
  # CI: a short run of every target, ${2:-30} seconds each.
  short) build; for target in "${targets[@]}"; do run "$target" 1000000000 -max_total_time="${2:-30}" | tail -3; done ;;
  *) echo "usage: scripts/fuzz.sh replay | build | run <target> [runs] [libFuzzer args] | all [runs] | short [seconds]" >&2; exit 2 ;;
esac
