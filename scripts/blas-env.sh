# Source this to run OpenBLAS's fast kernels on CPUs that Debian's OpenBLAS 0.3.21 does not know.
# An existing OPENBLAS_CORETYPE is respected. (The convrelu binary does the same by itself.)
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -q avx512_bf16 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Cooperlake
  elif grep -q avx512bw /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -q avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell
  fi
fi
# Idle OpenBLAS threads yield after 2^4 cycles instead of spinning against the engine's workers.
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
