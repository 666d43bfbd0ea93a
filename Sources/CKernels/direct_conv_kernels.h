// The direct convolution kernels and the vector helpers, written once and included by kernels.c
// for each instruction set. The includer defines:
//   LANES        floats per vector (16 for AVX-512, 8 for AVX2, 4 for SSE2)
//   VECTORS      vectors per block of output positions in the forward kernel
//   OUT_TILE     output channels whose accumulators stay in registers
//   CHANNEL_TILE input channels whose gradients stay in registers in the input-gradient kernel
//   SUFFIX       the name suffix of this build (FN(name) appends it)
//   PAIR_TILE    (input channel, tap) pairs whose weight gradients stay in registers
// Accumulators: forward OUT_TILE·VECTORS, weight gradient OUT_TILE·PAIR_TILE.

#define VF FN(vf)
#define VI FN(vi)
typedef float VF __attribute__((vector_size(LANES * 4), aligned(4)));
typedef int32_t VI __attribute__((vector_size(LANES * 4), aligned(4)));

static inline __attribute__((always_inline)) VF FN(load)(const float *p) { return *(const VF *)p; }
static inline __attribute__((always_inline)) VI FN(load_mask)(const int32_t *p) { return *(const VI *)p; }
static inline __attribute__((always_inline)) VF FN(splat)(float s) { return (VF){0} + s; }
/// The lanes of v where mask is set, zero elsewhere (bitwise, so a NaN outside the mask is dropped).
static inline __attribute__((always_inline)) VF FN(keep)(VF v, VI mask) { return (VF)((VI)v & mask); }
/// max(a, b) as a compare and select, which compiles to one vmaxps (NaN handling as x86's).
static inline __attribute__((always_inline)) VF FN(vmax)(VF a, VF b) {
    const VI greater = a > b;
    return (VF)((greater & (VI)a) | (~greater & (VI)b));
}
static inline __attribute__((always_inline)) float FN(sum)(VF v) {
    float s = 0;
    for (int l = 0; l < LANES; l++) s += v[l];
    return s;
}
/// Stores the lanes of v that fall before `limit` positions from p0.
static inline __attribute__((always_inline)) void FN(store_add)(float *dst, VF v, int p0, int limit, int add) {
    if (p0 + LANES <= limit) {
        *(VF *)dst = add ? *(const VF *)dst + v : v;
    } else {
        for (int l = 0; l < LANES && p0 + l < limit; l++) dst[l] = add ? dst[l] + v[l] : v[l];
    }
}

/// `tile` output channels from d0 for the block of positions starting at pb.
static inline __attribute__((always_inline)) void FN(forward_tile)(const dc_layout *g, const int32_t *offsets, int tile,
        int d0, int pb, const float *x, const float *w, const float *theta, const int32_t *masks, float *y,
        int64_t yStride) {
    const int taps = g->taps;
    VF acc[OUT_TILE][VECTORS];
    for (int d = 0; d < tile; d++)
        for (int v = 0; v < VECTORS; v++) acc[d][v] = FN(splat)(0);
    for (int c = 0; c < g->channels; c++) {
        const float *xc = x + (int64_t)c * g->stride + g->guard + pb;
        const float *wc = w + (int64_t)c * taps * g->outChannels + d0;
        // The channels' planes lie far apart, more streams than the hardware prefetcher follows:
        // fetch the rows this channel's next block reads.
        for (int i = 0; i < g->kernelHeight; i++)
            for (int k = 0; k < LANES * VECTORS + 16; k += 16)
                __builtin_prefetch(xc + LANES * VECTORS + (i - g->kernelHeight / 2) * g->width - g->kernelWidth / 2 + k);
        for (int a = 0; a < taps; a++) {
            const VF t = FN(splat)(theta[c * taps + a]);
            const int32_t *m = masks + (int64_t)a * g->blockedPlane + pb;
            VF xv[VECTORS];
            for (int v = 0; v < VECTORS; v++)
                xv[v] = FN(keep)(FN(vmax)(FN(load)(xc + offsets[a] + v * LANES), t), FN(load_mask)(m + v * LANES));
            for (int d = 0; d < tile; d++) {
                const float wv = wc[a * g->outChannels + d];
                for (int v = 0; v < VECTORS; v++) acc[d][v] += wv * xv[v];
            }
        }
    }
    for (int d = 0; d < tile; d++)
        for (int v = 0; v < VECTORS; v++)
            FN(store_add)(y + (d0 + d) * yStride + pb + v * LANES, acc[d][v], pb + v * LANES, g->plane, 0);
}

static void FN(forward)(const dc_layout *g, const float *x, const float *w, const float *theta, const int32_t *masks,
                        float *y, int64_t yStride) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    for (int pb = 0; pb < g->blockedPlane; pb += LANES * VECTORS) {
        for (int d0 = 0; d0 < g->outChannels; d0 += OUT_TILE) {
            const int tile = dc_tile(g->outChannels - d0, OUT_TILE);
            switch (tile) {
#define CASE(n) case n: FN(forward_tile)(g, offsets, n, d0, pb, x, w, theta, masks, y, yStride); break;
                TILE_CASES
#undef CASE
            }
        }
    }
}

/// Input channels c0 ..< c0+tile: for each tap a the column gradient
/// g_a[c, q] = Σ_d w[d,c,a] · dy[d, q - a] goes to dx where x[c,q] > θ[c,a] and to θ elsewhere.
static inline __attribute__((always_inline)) void FN(backward_input_tile)(const dc_layout *g, const int32_t *offsets,
        int tile, int c0, const float *x, const float *w, const float *theta, const int32_t *masks, const float *dy,
        float *dx, float *dTheta) {
    const int taps = g->taps;
    VF thetaSums[CHANNEL_TILE][taps];
    for (int ct = 0; ct < tile; ct++)
        for (int a = 0; a < taps; a++) thetaSums[ct][a] = FN(splat)(0);
    for (int pb = 0; pb < g->blockedPlane; pb += LANES * VECTORS) {
        VF xv[CHANNEL_TILE][VECTORS], dxSum[CHANNEL_TILE][VECTORS];
        for (int ct = 0; ct < tile; ct++)
            for (int v = 0; v < VECTORS; v++) {
                xv[ct][v] = FN(load)(x + (int64_t)(c0 + ct) * g->stride + g->guard + pb + v * LANES);
                dxSum[ct][v] = FN(splat)(0);
            }
        for (int a = 0; a < taps; a++) {
            VF grad[CHANNEL_TILE][VECTORS];
            for (int ct = 0; ct < tile; ct++)
                for (int v = 0; v < VECTORS; v++) grad[ct][v] = FN(splat)(0);
            const float *dyShifted = dy + g->guard + pb - offsets[a];
            for (int d = 0; d < g->outChannels; d++) {
                VF dyv[VECTORS];
                for (int v = 0; v < VECTORS; v++) dyv[v] = FN(load)(dyShifted + (int64_t)d * g->stride + v * LANES);
                const float *wd = w + ((int64_t)c0 * taps + a) * g->outChannels + d;
                for (int ct = 0; ct < tile; ct++) {
                    const float wv = wd[ct * taps * g->outChannels];
                    for (int v = 0; v < VECTORS; v++) grad[ct][v] += wv * dyv[v];
                }
            }
            // Output position q - a is real exactly when the mirrored tap of q is.
            const int32_t *m = masks + (int64_t)(taps - 1 - a) * g->blockedPlane + pb;
            for (int v = 0; v < VECTORS; v++) {
                const VI mask = FN(load_mask)(m + v * LANES);
                for (int ct = 0; ct < tile; ct++) {
                    const VF gm = FN(keep)(grad[ct][v], mask);
                    const VI passed = xv[ct][v] > FN(splat)(theta[(c0 + ct) * taps + a]);
                    dxSum[ct][v] += FN(keep)(gm, passed);
                    thetaSums[ct][a] += FN(keep)(gm, ~passed);
                }
            }
        }
        if (dx)
            for (int ct = 0; ct < tile; ct++)
                for (int v = 0; v < VECTORS; v++)
                    FN(store_add)(dx + (int64_t)(c0 + ct) * g->plane + pb + v * LANES, dxSum[ct][v], pb + v * LANES, g->plane, 1);
    }
    for (int ct = 0; ct < tile; ct++)
        for (int a = 0; a < taps; a++) dTheta[(c0 + ct) * taps + a] += FN(sum)(thetaSums[ct][a]);
}

static void FN(backward_input)(const dc_layout *g, const float *x, const float *w, const float *theta,
                               const int32_t *masks, const float *dy, float *dx, float *dTheta) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    for (int c0 = 0; c0 < g->channels; c0 += CHANNEL_TILE) {
        const int tile = dc_tile(g->channels - c0, CHANNEL_TILE);
        switch (tile) {
#define CASE(n) case n: FN(backward_input_tile)(g, offsets, n, c0, x, w, theta, masks, dy, dx, dTheta); break;
            CHANNEL_TILE_CASES
#undef CASE
        }
    }
}

/// Per-lane partial sums of dW[d, r] for output channels d0 ..< d0+tile and `pairs` (≤ PAIR_TILE)
/// column rows r = (c, a) from r0, over positions p0 ..< p1: dy[d, p] · max(x[c, p+a], θ[c,a])
/// over the real taps, added to the LANES-wide vectors at partial[(d·rows + r)·LANES].
static inline __attribute__((always_inline)) void FN(backward_weight_tile)(const dc_layout *g, const int32_t *offsets,
        int tile, int d0, int r0, int pairs, int p0, int p1, const float *x, const float *theta, const int32_t *masks,
        const float *dy, float *partial) {
    const int taps = g->taps, rows = g->channels * taps;
    VF acc[OUT_TILE][PAIR_TILE];
    for (int d = 0; d < tile; d++)
        for (int k = 0; k < pairs; k++) acc[d][k] = FN(load)(partial + ((int64_t)(d0 + d) * rows + r0 + k) * LANES);
    const float *xr[PAIR_TILE];
    const int32_t *mr[PAIR_TILE];
    VF t[PAIR_TILE];
    for (int k = 0; k < pairs; k++) {
        const int c = (r0 + k) / taps, a = (r0 + k) % taps;
        xr[k] = x + (int64_t)c * g->stride + g->guard + offsets[a];
        mr[k] = masks + (int64_t)a * g->blockedPlane;
        t[k] = FN(splat)(theta[r0 + k]);
    }
    const float *dyd = dy + g->guard + (int64_t)d0 * g->stride;
    for (int p = p0; p < p1; p += LANES) {
        VF xv[PAIR_TILE];
        for (int k = 0; k < pairs; k++) xv[k] = FN(keep)(FN(vmax)(FN(load)(xr[k] + p), t[k]), FN(load_mask)(mr[k] + p));
        for (int d = 0; d < tile; d++) {
            const VF dyv = FN(load)(dyd + (int64_t)d * g->stride + p);
            for (int k = 0; k < pairs; k++) acc[d][k] += dyv * xv[k];
        }
    }
    for (int d = 0; d < tile; d++)
        for (int k = 0; k < pairs; k++) *(VF *)(partial + ((int64_t)(d0 + d) * rows + r0 + k) * LANES) = acc[d][k];
}

/// The tile of `pairs` column rows, dispatched on the output-channel tile so both are constants.
static inline __attribute__((always_inline)) void FN(backward_weight_pairs)(const dc_layout *g, const int32_t *offsets,
        int tile, int d0, int r0, int pairs, int p0, int p1, const float *x, const float *theta, const int32_t *masks,
        const float *dy, float *partial) {
    switch (tile) {
#define CASE(n) case n: FN(backward_weight_tile)(g, offsets, n, d0, r0, pairs, p0, p1, x, theta, masks, dy, partial); break;
        TILE_CASES
#undef CASE
    }
}

/// Positions per pass of the weight-gradient kernel: the output gradient of a pass (D planes of
/// this many positions) stays in L1 while every (channel, tap) pair streams past it.
#define WEIGHT_PASS_POSITIONS 256

static void FN(backward_weight)(const dc_layout *g, const float *x, const float *theta, const int32_t *masks,
                                const float *dy, float *partial) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    const int rows = g->channels * g->taps;
    for (int p0 = 0; p0 < g->blockedPlane; p0 += WEIGHT_PASS_POSITIONS) {
        const int p1 = g->blockedPlane - p0 < WEIGHT_PASS_POSITIONS ? g->blockedPlane : p0 + WEIGHT_PASS_POSITIONS;
        for (int d0 = 0; d0 < g->outChannels; d0 += OUT_TILE) {
            const int tile = dc_tile(g->outChannels - d0, OUT_TILE);
            for (int r0 = 0; r0 < rows; r0 += PAIR_TILE) {
                const int pairs = dc_tile(rows - r0, PAIR_TILE);
#define CASE(n) case n: FN(backward_weight_pairs)(g, offsets, tile, d0, r0, n, p0, p1, x, theta, masks, dy, partial); break;
                switch (pairs) { PAIR_TILE_CASES }
#undef CASE
            }
        }
    }
}

/// dW[i] += the sum of the LANES partial sums of weight i.
static void FN(reduce_weight_partials)(const dc_layout *g, const float *partial, float *dW) {
    const int64_t count = (int64_t)g->outChannels * g->channels * g->taps;
    for (int64_t i = 0; i < count; i++) dW[i] += FN(sum)(FN(load)(partial + i * LANES));
}
