#ifndef ONE_HOT_H
#define ONE_HOT_H
// The one-hot convolution of the char-CNN's first layer (Kernels/OneHotConvolution.swift) for
// Float, vectorised per instruction set like the direct kernels (`dc_best_level` picks the
// level). Prefix `oh_`: one-hot. idx holds the alphabet row of each input position, or -1 for
// an all-zero column. weightT and gradientT hold one column of D floats per (character c,
// tap a), at (c · kernel + a) · columnStride.
//
// Give columnStride a few vectors more than D when D is a multiple of 256 floats (1 KB): the
// kernels read a vector of every column at the same offset, and at a 1 KB stride those all
// fall into 4 of L1's 64 sets, which thrashes (measured here per char-CNN sample: forward 233 µs
// at a 256-float stride against 123 at 288, backward 499 against 234).
#include <stdint.h>

/// The convolution at position p, for channel d: bias[d] + Σ_a weightT[(idx[p + a] · kernel + a) ·
/// columnStride + d] (bias may be NULL; a position without a character adds nothing).
///
/// y[d · yStride + o] = the maximum of the convolution over positions o · pool + w, w in
/// 0..<pool, for o in 0..<outputs: a max pool of window and stride `pool` fused in (pool 1: the
/// plain convolution). winner (when not NULL) receives the w of each maximum, as a float: the
/// first on a tie, a NaN winning, as in MaxPool. idx[0 ..< outputs · pool + kernel - 1] is read.
void oh_forward(int level, const int32_t *idx, int64_t outputs, int32_t pool, const float *weightT, int64_t columnStride,
                const float *bias, int32_t D, int32_t kernel, float *y, float *winner, int64_t yStride);

/// The weight gradient of oh_forward: dy[d · dyStride + o] goes to every weight the convolution
/// at position o · pool + w read, w being winner[d · dyStride + o] (0 when winner is NULL):
/// gradientT[(idx[o · pool + w + a] · kernel + a) · columnStride + d] += dy[d · dyStride + o].
void oh_backward(int level, const int32_t *idx, int64_t outputs, int32_t pool, const float *dy, const float *winner,
                 int64_t dyStride, int32_t D, int32_t kernel, float *gradientT, int64_t columnStride);

/// dst[c · dstStride + r] = src[r · srcStride + c] (or += when `add`) for r in 0..<rows, c in
/// 0..<columns: lays the weight out as columns and folds the gradient back, in register blocks.
void oh_transpose(int level, const float *src, int64_t srcStride, int64_t rows, int64_t columns, float *dst,
                  int64_t dstStride, int add);

#endif
