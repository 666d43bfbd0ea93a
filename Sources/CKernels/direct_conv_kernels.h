// The direct convolution kernels and the vector helpers, written once and included by kernels.c
// for each instruction set. The includer defines:
//   LANES        floats per vector (16 for AVX-512, 8 for AVX2, 4 for SSE2)
//   VECTORS      vectors per block of output positions in the forward kernel
//   OUT_TILE     output channels whose accumulators stay in registers (forward)
//   WEIGHT_OUT_TILE  the same in the weight-gradient kernel, with WEIGHT_TILE_CASES
//   CHANNEL_TILE input channels whose gradients stay in registers in the input-gradient kernel
//   SUFFIX       the name suffix of this build (FN(name) appends it)
//   PAIR_TILE    (input channel, tap) pairs whose weight gradients stay in registers
// Accumulators: forward OUT_TILE·VECTORS, weight gradient WEIGHT_OUT_TILE·PAIR_TILE.

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

/// Stores the input gradient v of channel c at positions p0 ..< p0+LANES (those before the
/// plane's end) into dx: added when `accumulate`, else written. With `norm`, v is the gradient
/// of the batch norm's output: scale[c] · v is added, and v's sums go into the per-lane vectors
/// `sums[0]` (Σ v) and `sums[1]` (Σ v · (x − μ)).
static inline __attribute__((always_inline)) void FN(store_input_gradient)(const dc_layout *g, float *dx, int c, int p0,
        VF v, int accumulate, const dc_norm_gradient *norm, VF sums[2]) {
    float *dst = dx + (int64_t)c * g->plane + p0;
    if (!norm) {
        FN(store_add)(dst, v, p0, g->plane, accumulate);
        return;
    }
    const float *xc = norm->x + (int64_t)c * g->plane + p0;
    const float mu = norm->mean[c], scale = norm->scale[c];
    if (p0 + LANES <= g->plane) {
        sums[0] += v;
        sums[1] += v * (FN(load)(xc) - mu);
        *(VF *)dst += scale * v;
    } else {
        for (int l = 0; l < LANES && p0 + l < g->plane; l++) {
            sums[0][l] += v[l];
            sums[1][l] += v[l] * (xc[l] - mu);
            dst[l] += scale * v[l];
        }
    }
}

/// Adds channel c's lane sums of `store_input_gradient` into the batch norm's sums.
static inline __attribute__((always_inline)) void FN(add_norm_sums)(const dc_norm_gradient *norm, int c, VF sums[2]) {
    if (!norm) return;
    norm->sumGradient[c] += FN(sum)(sums[0]);
    norm->sumCenteredGradient[c] += FN(sum)(sums[1]);
}

/// `tile` output channels from d0 for the block of positions starting at pb.
/// `activated`: the input was copied in already activated (`dc_copy_guarded` with a floor), so a
/// tap reads it as it is, masked only where it may wrap into the next row (off the centre column).
static inline __attribute__((always_inline)) void FN(forward_tile)(const dc_layout *g, const int32_t *offsets, int tile,
        int d0, int pb, const float *x, const float *w, const float *theta, const int32_t *masks, int activated, float *y,
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
            for (int v = 0; v < VECTORS; v++) {
                const VF raw = FN(load)(xc + offsets[a] + v * LANES);
                xv[v] = FN(keep)(activated ? raw : FN(vmax)(raw, t), FN(load_mask)(m + v * LANES));
            }
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
                        int activated, float *y, int64_t yStride) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    for (int pb = 0; pb < g->blockedPlane; pb += LANES * VECTORS) {
        for (int d0 = 0; d0 < g->outChannels; d0 += OUT_TILE) {
            const int tile = dc_tile(g->outChannels - d0, OUT_TILE);
            switch (tile) {
#define CASE(n) case n: if (activated) FN(forward_tile)(g, offsets, n, d0, pb, x, w, theta, masks, 1, y, yStride); \
                        else FN(forward_tile)(g, offsets, n, d0, pb, x, w, theta, masks, 0, y, yStride); break;
                TILE_CASES
#undef CASE
            }
        }
    }
}

/// Adds the column gradient of tap a for input channels c0 ..< c0+tile at the positions of block
/// pb into `grad`: Σ_d w[d,c,a] · dy[d, q - a], unmasked.
static inline __attribute__((always_inline)) void FN(add_tap_gradient)(const dc_layout *g, const int32_t *offsets,
        int tile, int c0, int pb, int a, const float *w, const float *dy, VF grad[CHANNEL_TILE][VECTORS]) {
    const float *dyShifted = dy + g->guard + pb - offsets[a];
    for (int d = 0; d < g->outChannels; d++) {
        VF dyv[VECTORS];
        for (int v = 0; v < VECTORS; v++) dyv[v] = FN(load)(dyShifted + (int64_t)d * g->stride + v * LANES);
        const float *wd = w + ((int64_t)c0 * g->taps + a) * g->outChannels + d;
        for (int ct = 0; ct < tile; ct++) {
            const float wv = wd[ct * g->taps * g->outChannels];
            for (int v = 0; v < VECTORS; v++) grad[ct][v] += wv * dyv[v];
        }
    }
}

/// Input channels c0 ..< c0+tile: for each tap a the column gradient
/// g_a[c, q] = Σ_d w[d,c,a] · dy[d, q - a] goes to dx where x[c,q] > θ[c,a] and to θ elsewhere.
static inline __attribute__((always_inline)) void FN(backward_input_tile)(const dc_layout *g, const int32_t *offsets,
        int tile, int c0, const float *x, const float *w, const float *theta, const int32_t *masks, const float *dy,
        float *dx, int accumulate, float *dTheta, const dc_norm_gradient *norm) {
    const int taps = g->taps;
    VF thetaSums[CHANNEL_TILE][taps], normSums[CHANNEL_TILE][2];
    for (int ct = 0; ct < tile; ct++) {
        for (int a = 0; a < taps; a++) thetaSums[ct][a] = FN(splat)(0);
        normSums[ct][0] = normSums[ct][1] = FN(splat)(0);
    }
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
            FN(add_tap_gradient)(g, offsets, tile, c0, pb, a, w, dy, grad);
            // Output position q - a is real exactly when the mirrored tap of q is.
            const int32_t *m = masks + (int64_t)(taps - 1 - a) * g->blockedPlane + pb;
            VF clamped[CHANNEL_TILE];
            for (int ct = 0; ct < tile; ct++) clamped[ct] = FN(splat)(0);
            for (int v = 0; v < VECTORS; v++) {
                const VI mask = FN(load_mask)(m + v * LANES);
                for (int ct = 0; ct < tile; ct++) {
                    const VF gm = FN(keep)(grad[ct][v], mask);
                    const VI passed = xv[ct][v] > FN(splat)(theta[(c0 + ct) * taps + a]);
                    dxSum[ct][v] += FN(keep)(gm, passed);
                    clamped[ct] += FN(keep)(gm, ~passed);
                }
            }
            for (int ct = 0; ct < tile; ct++) thetaSums[ct][a] += clamped[ct];
        }
        if (dx)
            for (int ct = 0; ct < tile; ct++)
                for (int v = 0; v < VECTORS; v++)
                    FN(store_input_gradient)(g, dx, c0 + ct, pb + v * LANES, dxSum[ct][v], accumulate, norm, normSums[ct]);
    }
    for (int ct = 0; ct < tile; ct++) {
        for (int a = 0; a < taps; a++)
            if (dTheta) dTheta[(c0 + ct) * taps + a] += FN(sum)(thetaSums[ct][a]);
        FN(add_norm_sums)(norm, c0 + ct, normSums[ct]);
    }
}

/// The input gradient of channels c0 ..< c0+tile when every tap of a channel shares its threshold
/// (a ReLU, a plain convolution) and no θ gradient is wanted: the input was copied in activated,
/// and a position passes its gradient on from every tap or from none, so the taps are summed
/// first and the sum gated once. The taps of one kernel column share their mask (only a
/// horizontal shift wraps into the next row; the guards give zeros for vertical ones), so the
/// sum over a column's taps is masked once too.
static inline __attribute__((always_inline)) void FN(backward_input_shared_tile)(const dc_layout *g,
        const int32_t *offsets, int tile, int c0, const float *x, const float *w, const float *theta,
        const int32_t *masks, const float *dy, float *dx, int accumulate, const dc_norm_gradient *norm) {
    const int taps = g->taps, kh = g->kernelHeight, kw = g->kernelWidth;
    VF normSums[CHANNEL_TILE][2];
    for (int ct = 0; ct < tile; ct++) normSums[ct][0] = normSums[ct][1] = FN(splat)(0);
    for (int pb = 0; pb < g->blockedPlane; pb += LANES * VECTORS) {
        VF total[CHANNEL_TILE][VECTORS];
        for (int ct = 0; ct < tile; ct++)
            for (int v = 0; v < VECTORS; v++) total[ct][v] = FN(splat)(0);
        for (int j = 0; j < kw; j++) {
            VF grad[CHANNEL_TILE][VECTORS];
            for (int ct = 0; ct < tile; ct++)
                for (int v = 0; v < VECTORS; v++) grad[ct][v] = FN(splat)(0);
            for (int i = 0; i < kh; i++) FN(add_tap_gradient)(g, offsets, tile, c0, pb, i * kw + j, w, dy, grad);
            if (j == kw / 2) {
                for (int ct = 0; ct < tile; ct++)
                    for (int v = 0; v < VECTORS; v++) total[ct][v] += grad[ct][v];
            } else {
                // The mirrored tap in the centre row: the column's horizontal validity alone.
                const int32_t *m = masks + (int64_t)(taps - 1 - (kh / 2 * kw + j)) * g->blockedPlane + pb;
                for (int v = 0; v < VECTORS; v++) {
                    const VI mask = FN(load_mask)(m + v * LANES);
                    for (int ct = 0; ct < tile; ct++) total[ct][v] += FN(keep)(grad[ct][v], mask);
                }
            }
        }
        for (int ct = 0; ct < tile; ct++) {
            const VF floor = FN(splat)(theta[(c0 + ct) * taps]);
            for (int v = 0; v < VECTORS; v++) {
                const VF xv = FN(load)(x + (int64_t)(c0 + ct) * g->stride + g->guard + pb + v * LANES);
                FN(store_input_gradient)(g, dx, c0 + ct, pb + v * LANES, FN(keep)(total[ct][v], xv > floor), accumulate, norm,
                                         normSums[ct]);
            }
        }
    }
    for (int ct = 0; ct < tile; ct++) FN(add_norm_sums)(norm, c0 + ct, normSums[ct]);
}

static void FN(backward_input)(const dc_layout *g, const float *x, const float *w, const float *theta,
                               const int32_t *masks, int activated, const float *dy, float *dx, int accumulate,
                               float *dTheta, const dc_norm_gradient *norm) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    const int shared = activated && !dTheta;
    if (shared && !dx) return;
    for (int c0 = 0; c0 < g->channels; c0 += CHANNEL_TILE) {
        const int tile = dc_tile(g->channels - c0, CHANNEL_TILE);
        switch (tile) {
#define CASE(n) case n: if (shared) FN(backward_input_shared_tile)(g, offsets, n, c0, x, w, theta, masks, dy, dx, accumulate, norm); \
                        else FN(backward_input_tile)(g, offsets, n, c0, x, w, theta, masks, dy, dx, accumulate, dTheta, norm); break;
            CHANNEL_TILE_CASES
#undef CASE
        }
    }
}

/// Per-lane partial sums of dW[d, r] for output channels d0 ..< d0+tile and `pairs` (≤ PAIR_TILE)
/// column rows r = (c, a) from r0, over positions p0 ..< p1: dy[d, p] · max(x[c, p+a], θ[c,a])
/// over the real taps, added to the LANES-wide vectors at partial[(d·rows + r)·LANES].
/// `activated` as in `forward_tile`.
static inline __attribute__((always_inline)) void FN(backward_weight_tile)(const dc_layout *g, const int32_t *offsets,
        int tile, int d0, int r0, int pairs, int p0, int p1, const float *x, const float *theta, const int32_t *masks,
        int activated, const float *dy, float *partial) {
    const int taps = g->taps, rows = g->channels * taps;
    VF acc[WEIGHT_OUT_TILE][PAIR_TILE];
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
        for (int k = 0; k < pairs; k++) {
            const VF raw = FN(load)(xr[k] + p);
            xv[k] = FN(keep)(activated ? raw : FN(vmax)(raw, t[k]), FN(load_mask)(mr[k] + p));
        }
        // Unrolled in full so that the accumulators stay in registers (clang -O2, as SwiftPM
        // builds C, leaves a 12-deep loop rolled and keeps them on the stack).
#pragma clang loop unroll(full)
        for (int d = 0; d < tile; d++) {
            const VF dyv = FN(load)(dyd + (int64_t)d * g->stride + p);
#pragma clang loop unroll(full)
            for (int k = 0; k < pairs; k++) acc[d][k] += dyv * xv[k];
        }
    }
    for (int d = 0; d < tile; d++)
        for (int k = 0; k < pairs; k++) *(VF *)(partial + ((int64_t)(d0 + d) * rows + r0 + k) * LANES) = acc[d][k];
}

/// The tile of `pairs` column rows, dispatched on the output-channel tile so both are constants.
static inline __attribute__((always_inline)) void FN(backward_weight_pairs)(const dc_layout *g, const int32_t *offsets,
        int tile, int d0, int r0, int pairs, int p0, int p1, const float *x, const float *theta, const int32_t *masks,
        int activated, const float *dy, float *partial) {
    switch (tile) {
#define CASE(n) case n: if (activated) FN(backward_weight_tile)(g, offsets, n, d0, r0, pairs, p0, p1, x, theta, masks, 1, dy, partial); \
                        else FN(backward_weight_tile)(g, offsets, n, d0, r0, pairs, p0, p1, x, theta, masks, 0, dy, partial); break;
        WEIGHT_TILE_CASES
#undef CASE
    }
}

/// Positions per pass of the weight-gradient kernel: the output gradient of a pass (D planes of
/// this many positions) stays in L1 while every (channel, tap) pair streams past it.
#define WEIGHT_PASS_POSITIONS 256

static void FN(backward_weight)(const dc_layout *g, const float *x, const float *theta, const int32_t *masks,
                                int activated, const float *dy, float *partial) {
    int32_t offsets[g->taps];
    dc_tap_offsets(g, offsets);
    const int rows = g->channels * g->taps;
    for (int p0 = 0; p0 < g->blockedPlane; p0 += WEIGHT_PASS_POSITIONS) {
        const int p1 = g->blockedPlane - p0 < WEIGHT_PASS_POSITIONS ? g->blockedPlane : p0 + WEIGHT_PASS_POSITIONS;
        for (int d0 = 0; d0 < g->outChannels; d0 += WEIGHT_OUT_TILE) {
            const int tile = dc_tile(g->outChannels - d0, WEIGHT_OUT_TILE);
            for (int r0 = 0; r0 < rows; r0 += PAIR_TILE) {
                const int pairs = dc_tile(rows - r0, PAIR_TILE);
#define CASE(n) case n: FN(backward_weight_pairs)(g, offsets, tile, d0, r0, n, p0, p1, x, theta, masks, activated, dy, partial); break;
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
