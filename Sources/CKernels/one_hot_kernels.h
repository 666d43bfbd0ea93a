// The one-hot convolution kernels (conv1 of the char-CNN as a gather of weight columns),
// included by kernels.c for each instruction set after direct_conv_kernels.h (whose vector
// types and helpers they use).
//
// The weight is laid out (alphabet, kernel, D), so that a character's column for one tap is a
// contiguous run of D floats; the output and its gradient are (D, outputs). A block of
// LANES positions × LANES output channels sits in LANES registers, one position each, and is
// transposed in registers on its way to (or from) the channel-major rows: there is no
// (positions × D) scratch matrix and no separate transpose pass. The same register transpose
// serves `transpose_matrix`, which lays the weight out and folds its gradient back.

// One round of the in-register transpose: rows i and i+h (bit h of i clear) swap the
// off-diagonal h × h blocks of each 2h × 2h block. log2(LANES) rounds transpose the block.
#define OH_ROUND(h, LOW, HIGH)                                         \
    for (int i = 0; i < LANES; i++) {                                  \
        if (i & (h)) continue;                                         \
        const VF a = rows[i], b = rows[i + (h)];                       \
        rows[i] = __builtin_shufflevector(a, b, LOW);                  \
        rows[i + (h)] = __builtin_shufflevector(a, b, HIGH);           \
    }

/// rows[j][t] becomes the former rows[t][j], for a LANES × LANES block.
static inline __attribute__((always_inline)) void FN(transpose)(VF *rows) {
#if LANES == 16
#define OH_1L 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define OH_1H 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define OH_2L 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define OH_2H 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define OH_4L 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define OH_4H 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define OH_8L 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define OH_8H 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
    OH_ROUND(1, OH_1L, OH_1H)
    OH_ROUND(2, OH_2L, OH_2H)
    OH_ROUND(4, OH_4L, OH_4H)
    OH_ROUND(8, OH_8L, OH_8H)
#elif LANES == 8
#define OH_1L 0, 8, 2, 10, 4, 12, 6, 14
#define OH_1H 1, 9, 3, 11, 5, 13, 7, 15
#define OH_2L 0, 1, 8, 9, 4, 5, 12, 13
#define OH_2H 2, 3, 10, 11, 6, 7, 14, 15
#define OH_4L 0, 1, 2, 3, 8, 9, 10, 11
#define OH_4H 4, 5, 6, 7, 12, 13, 14, 15
    OH_ROUND(1, OH_1L, OH_1H)
    OH_ROUND(2, OH_2L, OH_2H)
    OH_ROUND(4, OH_4L, OH_4H)
#else
#define OH_1L 0, 4, 2, 6
#define OH_1H 1, 5, 3, 7
#define OH_2L 0, 1, 4, 5
#define OH_2H 2, 3, 6, 7
    OH_ROUND(1, OH_1L, OH_1H)
    OH_ROUND(2, OH_2L, OH_2H)
#endif
}

/// The column of character c for tap a, or NULL for no character (c < 0).
static inline __attribute__((always_inline)) const float *FN(oh_column)(const float *weightT, int32_t c, int32_t a,
                                                                       int32_t kernel, int64_t columnStride) {
    return c < 0 ? NULL : weightT + ((int64_t)c * kernel + a) * columnStride;
}

// Channel blocks outside, positions inside: while a block of LANES channels walks the
// positions, it reads (or updates) one (alphabet × kernel × LANES) slice of the weight, 31 KB
// for the char-CNN, which stays in L1 once the columns are padded (one_hot.h), and writes (or
// reads) LANES rows front to back.
//
// With a max pool fused in (pool > 1), output o is the maximum over the window's positions
// o · pool + w. Each w is gathered and transposed in turn, then merged into the output rows
// (still in L1) with selects: the first maximum wins a tie, and a NaN wins, as in MaxPool.

/// The one-hot convolution at position p for channel d.
static inline __attribute__((always_inline)) float FN(oh_value)(const int32_t *idx, int64_t p, int32_t d,
        const float *weightT, int64_t columnStride, const float *bias, int32_t kernel) {
    float s = bias ? bias[d] : 0;
    for (int32_t a = 0; a < kernel; a++) {
        const float *column = FN(oh_column)(weightT, idx[p + a], a, kernel, columnStride);
        if (column) s += column[d];
    }
    return s;
}

static void FN(one_hot_forward)(const int32_t *idx, int64_t outputs, int32_t pool, const float *weightT,
                                int64_t columnStride, const float *bias, int32_t D, int32_t kernel, float *y,
                                float *winner, int64_t yStride) {
    const int64_t vectorOutputs = outputs / LANES * LANES;
    int32_t d0 = 0;
    for (; d0 + LANES <= D; d0 += LANES) {
        const VF b = bias ? FN(load)(bias + d0) : FN(splat)(0);
        for (int64_t o0 = 0; o0 < vectorOutputs; o0 += LANES) {
            for (int32_t w = 0; w < pool; w++) {
                VF rows[LANES];
                for (int t = 0; t < LANES; t++) rows[t] = b;
                for (int32_t a = 0; a < kernel; a++) {
                    for (int t = 0; t < LANES; t++) {
                        const float *column = FN(oh_column)(weightT, idx[(o0 + t) * pool + w + a], a, kernel, columnStride);
                        if (column) rows[t] += FN(load)(column + d0);
                    }
                }
                FN(transpose)(rows);
                const VF tap = FN(splat)((float)w);
                for (int j = 0; j < LANES; j++) {
                    float *out = y + (d0 + j) * yStride + o0;
                    float *won = winner ? winner + (d0 + j) * yStride + o0 : NULL;
                    if (w == 0) {
                        *(VF *)out = rows[j];
                        if (won) *(VF *)won = tap;
                        continue;
                    }
                    const VF best = FN(load)(out);
                    const VI takes = (rows[j] > best) | ((rows[j] != rows[j]) & (best == best));
                    *(VF *)out = (VF)(((VI)rows[j] & takes) | ((VI)best & ~takes));
                    if (won) *(VF *)won = (VF)(((VI)tap & takes) | ((VI)FN(load)(won) & ~takes));
                }
            }
        }
    }
    // The channels and outputs left over, one value at a time.
    for (int32_t d = 0; d < D; d++) {
        for (int64_t o = d < d0 ? vectorOutputs : 0; o < outputs; o++) {
            float best = FN(oh_value)(idx, o * pool, d, weightT, columnStride, bias, kernel);
            int32_t bestTap = 0;
            for (int32_t w = 1; w < pool; w++) {
                const float v = FN(oh_value)(idx, o * pool + w, d, weightT, columnStride, bias, kernel);
                if (v > best || (v != v && best == best)) {
                    best = v;
                    bestTap = w;
                }
            }
            y[d * yStride + o] = best;
            if (winner) winner[d * yStride + o] = (float)bestTap;
        }
    }
}

static void FN(one_hot_backward)(const int32_t *idx, int64_t outputs, int32_t pool, const float *dy,
                                 const float *winner, int64_t dyStride, int32_t D, int32_t kernel, float *gradientT,
                                 int64_t columnStride) {
    const int64_t vectorOutputs = outputs / LANES * LANES;
    int32_t d0 = 0;
    for (; d0 + LANES <= D; d0 += LANES) {
        for (int64_t o0 = 0; o0 < vectorOutputs; o0 += LANES) {
            for (int32_t w = 0; w < pool; w++) {
                const VF tap = FN(splat)((float)w);
                VF rows[LANES];
                for (int j = 0; j < LANES; j++) {
                    rows[j] = FN(load)(dy + (d0 + j) * dyStride + o0);
                    if (winner) rows[j] = FN(keep)(rows[j], FN(load)(winner + (d0 + j) * dyStride + o0) == tap);
                }
                FN(transpose)(rows);
                for (int32_t a = 0; a < kernel; a++) {
                    for (int t = 0; t < LANES; t++) {
                        float *column = (float *)FN(oh_column)(gradientT, idx[(o0 + t) * pool + w + a], a, kernel, columnStride);
                        if (column) *(VF *)(column + d0) = FN(load)(column + d0) + rows[t];
                    }
                }
            }
        }
    }
    for (int32_t d = 0; d < D; d++) {
        for (int64_t o = d < d0 ? vectorOutputs : 0; o < outputs; o++) {
            const int64_t p = o * pool + (winner ? (int64_t)winner[d * dyStride + o] : 0);
            for (int32_t a = 0; a < kernel; a++) {
                float *column = (float *)FN(oh_column)(gradientT, idx[p + a], a, kernel, columnStride);
                if (column) column[d] += dy[d * dyStride + o];
            }
        }
    }
}

static void FN(transpose_matrix)(const float *src, int64_t srcStride, int64_t rows, int64_t columns, float *dst,
                                 int64_t dstStride, int add) {
    const int64_t blockRows = rows / LANES * LANES, blockColumns = columns / LANES * LANES;
    for (int64_t r0 = 0; r0 < blockRows; r0 += LANES) {
        for (int64_t c0 = 0; c0 < blockColumns; c0 += LANES) {
            VF block[LANES];
            for (int i = 0; i < LANES; i++) block[i] = FN(load)(src + (r0 + i) * srcStride + c0);
            FN(transpose)(block);
            for (int j = 0; j < LANES; j++) {
                float *out = dst + (c0 + j) * dstStride + r0;
                *(VF *)out = add ? FN(load)(out) + block[j] : block[j];
            }
        }
    }
    // The rows and columns left over, one value at a time.
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = r < blockRows ? blockColumns : 0; c < columns; c++) {
            float *out = dst + c * dstStride + r;
            *out = add ? *out + src[r * srcStride + c] : src[r * srcStride + c];
        }
    }
}

#undef OH_ROUND
#undef OH_1L
#undef OH_1H
#undef OH_2L
#undef OH_2H
#undef OH_4L
#undef OH_4H
#undef OH_8L
#undef OH_8H
