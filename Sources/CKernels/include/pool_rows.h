#ifndef POOL_ROWS_H
#define POOL_ROWS_H
// The row loops of max pooling (Kernels/Pooling.swift) for Float. Swift compiles their NaN-aware
// selects into branches, which mispredict on real activations; these are written with bitwise
// selects and specialised for strides 2 and 3 (the image networks' 2×2 windows and the
// char-CNN's pool of 3), which clang vectorises for AVX-512 and AVX2 (target_clones: the
// loader picks the clone this CPU runs; there is no level to choose, unlike the direct kernels).
// Prefix `mp_`: max pool.
#include <stdint.h>

/// One tap across a row of windows: where src[o · stride] beats dst[o] (is larger or NaN, while
/// dst[o] is not NaN), dst[o] takes it and winner[o] (if not NULL) becomes `tap`.
void mp_accumulate_row(const float *src, int64_t stride, float *dst, float *winner, float tap, int64_t count);

/// One tap across a row of windows, backward: dst[o · stride] = dy[o] where winner[o] == tap,
/// else 0; added instead when `adding` (overlapping windows).
void mp_route_row(const float *dy, const float *winner, float tap, float *dst, int64_t stride, int64_t count, int adding);

#endif
