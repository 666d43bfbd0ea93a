#!/bin/bash
# The direct convolution kernels on one core (bench/direct_conv_kernels.c), built as SwiftPM
# builds C in release (-O2, no -march: the AVX-512 and AVX2 copies carry their own target
# attributes). With BASE, the CKernels of that commit are linked in under a `base_` prefix and
# timed in turn with this tree's, rep by rep, so that the machine's drift falls on both alike
# (BASE must have this tree's kernel signatures).
#   bench/direct_conv_ab.sh [BASE [REPS]]     (BASE "" for this tree alone)
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-O2 -fno-omit-frame-pointer)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
extra=()
if [ -n "${1:-}" ]; then
    mkdir -p "$work/base"
    git archive "$1" Sources/CKernels | tar -x -C "$work/base"
    clang "${flags[@]}" -c -I "$work/base/Sources/CKernels/include" -o "$work/base.o" "$work/base/Sources/CKernels/kernels.c"
    nm --defined-only -g "$work/base.o" | awk '{print $3" base_"$3}' > "$work/symbols"
    objcopy --redefine-syms="$work/symbols" "$work/base.o"
    extra=(-DAB_BASE "$work/base.o")
fi
clang "${flags[@]}" -I Sources/CKernels/include -o "$work/dcbench" bench/direct_conv_kernels.c Sources/CKernels/kernels.c \
    Sources/CKernels/pool_rows.c "${extra[@]}" -lm
"$work/dcbench" -1 "${2:-15}"
