#ifndef COLUMN_ROWS_H
#define COLUMN_ROWS_H
// The innermost loops of the im2col path (Kernels/ConvolutionColumns.swift) for Float rows of
// stride 1, vectorised per instruction set like the direct kernels (`dc_best_level` picks
// the level). Prefix `cr_`: column row. Swift compiles its loops for baseline x86-64 and keeps
// a float sum in order, so its version of the gradient row below runs one lane at a time.
#include <stdint.h>

/// dst[i] = max(src[i], threshold) for i in 0..<count: one column row of ConvReLU (or ReLU,
/// threshold 0).
void cr_build_row(int level, const float *src, float threshold, float *dst, int64_t count);

/// The gradient of one column row: where src[i] > threshold, dst[i] += gradient[i] (when dst
/// is not NULL); the rest is summed and returned, the gradient of the threshold.
float cr_scatter_row(int level, const float *src, float threshold, const float *gradient, float *dst, int64_t count);

#endif
