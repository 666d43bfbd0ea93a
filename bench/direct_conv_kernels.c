// Single-core throughput of the direct convolution kernels (CKernels) on DenseNet-40's dense-layer
// shapes, each checked against a plain loop first. `bench/direct_conv_ab.sh [BASE]` builds it with
// SwiftPM's flags for C (-O2) and runs it, with the kernels of commit BASE timed in turn when given.
//   usage: dcbench [LEVEL (-1: the best this CPU runs) [REPS]]
//
// GFLOP/s counts 2 · C · D · kh · kw · H · W per sample for each kernel, as the model benchmark does.
#include "direct_conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(int64_t n) {
    float *p = aligned_alloc(64, ((size_t)n * sizeof(float) + 63) / 64 * 64);
    memset(p, 0, (size_t)n * sizeof(float));
    return p;
}

static uint64_t state = 88172645463325252ull;
static float uniform(void) {  // xorshift64, in [-1, 1)
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (float)((state >> 40) / (double)(1 << 24)) * 2 - 1;
}

/// max(x, θ) at a real tap of output p, or 0 in the padding.
static float tapInput(const float *x, const float *theta, int C, int H, int W, int c, int i, int j, int oy, int ox) {
    const int iy = oy + i - 1, ix = ox + j - 1;
    if (iy < 0 || iy >= H || ix < 0 || ix >= W) return 0;
    const float v = x[(c * H + iy) * W + ix], t = theta[c * 9 + i * 3 + j];
    return v > t ? v : t;
}

/// How a benchmark row sets the thresholds: a ReLU (θ = 0, no θ gradient: the input is copied
/// in activated), ConvReLU at its zero start (θ = 0 shared by the taps, θ gradient wanted), or
/// ConvReLU with a threshold per tap.
enum Mode { RELU, ZERO_THETA, THRESHOLDS };
static const char *modeNames[] = {"relu", "zero-theta", "thresholds"};

/// Worst relative difference of the kernels from plain loops, for one sample of a 3×3 convolution.
static double check(int level, int C, int D, int H, int W, enum Mode mode) {
    dc_layout g = dc_make_layout(C, D, H, W, 3, 3);
    const int P = H * W, rows = C * 9;
    float *x = floats((int64_t)C * P), *w = floats((int64_t)D * rows), *theta = floats(rows), *dy = floats((int64_t)D * P);
    for (int64_t i = 0; i < (int64_t)C * P; i++) x[i] = uniform();
    for (int64_t i = 0; i < (int64_t)D * rows; i++) w[i] = uniform();
    for (int64_t i = 0; i < (int64_t)D * P; i++) dy[i] = uniform();
    for (int r = 0; r < rows; r++) theta[r] = mode == THRESHOLDS ? 0.3f * uniform() : 0;
    int32_t *masks = aligned_alloc(64, (size_t)dc_mask_count(&g) * 4 + 64);
    dc_build_masks(&g, masks);
    float *xg = floats((int64_t)g.stride * C), *dyg = floats((int64_t)g.stride * D), *packed = floats((int64_t)D * rows);
    float *floor = floats(C);  // the shared thresholds: 0
    const int activated = dc_shared_thresholds(&g, theta);
    dc_copy_guarded(&g, x, P, C, NULL, NULL, activated ? floor : NULL, xg);
    dc_copy_guarded(&g, dy, P, D, NULL, NULL, NULL, dyg);
    dc_pack_weights(&g, w, packed);
    float *y = floats((int64_t)D * P), *dx = floats((int64_t)C * P), *dTheta = floats(rows);
    float *partial = floats(dc_weight_partial_count(&g)), *dW = floats((int64_t)D * rows);
    dc_forward(level, &g, xg, packed, theta, masks, activated, y, P);
    for (int64_t i = 0; i < (int64_t)C * P; i++) dx[i] = 1e30f;  // written over, not added to
    dc_backward_input(level, &g, xg, packed, theta, masks, activated, dyg, dx, 0, mode == RELU ? NULL : dTheta, NULL);
    dc_backward_weight(level, &g, xg, theta, masks, activated, dyg, partial);
    dc_reduce_weight_partials(level, &g, partial, dW);

    double worst = 0;
#define COMPARE(got, want) do { const double e = fabs((got) - (want)) / (1 + fabs(want)); if (e > worst) worst = e; } while (0)
    for (int d = 0; d < D; d++)
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++) {
                double s = 0;
                for (int c = 0; c < C; c++)
                    for (int a = 0; a < 9; a++) s += w[d * rows + c * 9 + a] * tapInput(x, theta, C, H, W, c, a / 3, a % 3, oy, ox);
                COMPARE(y[d * P + oy * W + ox], s);
            }
    for (int d = 0; d < D; d++)
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int p = 0; p < P; p++) s += dy[d * P + p] * tapInput(x, theta, C, H, W, r / 9, r % 9 / 3, r % 3, p / W, p % W);
            COMPARE(dW[d * rows + r], s);
        }
    double *wantDx = calloc((size_t)C * P, sizeof(double)), *wantTheta = calloc(rows, sizeof(double));
    for (int c = 0; c < C; c++)
        for (int a = 0; a < 9; a++)
            for (int oy = 0; oy < H; oy++)
                for (int ox = 0; ox < W; ox++) {
                    const int iy = oy + a / 3 - 1, ix = ox + a % 3 - 1;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    double s = 0;
                    for (int d = 0; d < D; d++) s += w[d * rows + c * 9 + a] * dy[d * P + oy * W + ox];
                    if (x[(c * H + iy) * W + ix] > theta[c * 9 + a]) wantDx[(c * H + iy) * W + ix] += s;
                    else wantTheta[c * 9 + a] += s;
                }
    for (int64_t i = 0; i < (int64_t)C * P; i++) COMPARE(dx[i], wantDx[i]);
    if (mode != RELU)
        for (int r = 0; r < rows; r++) COMPARE(dTheta[r], wantTheta[r]);
#undef COMPARE
    free(wantDx), free(wantTheta);
    free(x), free(w), free(theta), free(dy), free(masks), free(xg), free(dyg), free(packed), free(y), free(dx), free(dTheta);
    free(partial), free(dW), free(floor);
    return worst;
}

/// The kernels timed: this tree's, and with -DAB_BASE also those of another commit, linked in
/// with a `base_` prefix (`bench/direct_conv_ab.sh`); both must have this tree's signatures.
typedef struct {
    void (*forward)(int, const dc_layout *, const float *, const float *, const float *, const int32_t *, int, float *, int64_t);
    void (*input)(int, const dc_layout *, const float *, const float *, const float *, const int32_t *, int, const float *,
                  float *, int, float *, const dc_norm_gradient *);
    void (*weight)(int, const dc_layout *, const float *, const float *, const int32_t *, int, const float *, float *);
} Kernels;
static const Kernels current = {dc_forward, dc_backward_input, dc_backward_weight};
#ifdef AB_BASE
void base_dc_forward(int, const dc_layout *, const float *, const float *, const float *, const int32_t *, int, float *, int64_t);
void base_dc_backward_input(int, const dc_layout *, const float *, const float *, const float *, const int32_t *, int,
                            const float *, float *, int, float *, const dc_norm_gradient *);
void base_dc_backward_weight(int, const dc_layout *, const float *, const float *, const int32_t *, int, const float *, float *);
static const Kernels base = {base_dc_forward, base_dc_backward_input, base_dc_backward_weight};
enum { VARIANTS = 2 };
#else
enum { VARIANTS = 1 };
#endif

/// The best of `reps` runs of each kernel over `samples` samples (distinct inputs, as in a batch),
/// in GFLOP/s, out[variant][kernel]: forward, input gradient, weight gradient; with two variants,
/// each rep runs both in turn. The best, not the median: on a shared machine the other tenants
/// only ever slow a run down.
static void timeKernels(int level, const Kernels *variants, int C, int D, int H, int W, enum Mode mode, int samples, int reps,
                        double out[][3]) {
    dc_layout g = dc_make_layout(C, D, H, W, 3, 3);
    const int P = H * W, rows = C * 9;
    float *xg = floats((int64_t)g.stride * C * samples), *dyg = floats((int64_t)g.stride * D * samples);
    for (int64_t i = 0; i < (int64_t)g.stride * C * samples; i++) xg[i] = uniform();
    for (int64_t i = 0; i < (int64_t)g.stride * D * samples; i++) dyg[i] = uniform();
    float *packed = floats((int64_t)D * rows), *theta = floats(rows);
    for (int64_t i = 0; i < (int64_t)D * rows; i++) packed[i] = uniform();
    for (int r = 0; r < rows; r++) theta[r] = mode == THRESHOLDS ? 0.1f * uniform() : 0;
    const int activated = dc_shared_thresholds(&g, theta);
    int32_t *masks = aligned_alloc(64, (size_t)dc_mask_count(&g) * 4 + 64);
    dc_build_masks(&g, masks);
    float *y = floats((int64_t)D * P), *dx = floats((int64_t)C * P), *dTheta = floats(rows);
    float *partial = floats(dc_weight_partial_count(&g));
    const double flops = 2.0 * C * D * 9 * P * samples;
    for (int k = 0; k < 3; k++) {
        double best[VARIANTS];
        for (int v = 0; v < VARIANTS; v++) best[v] = INFINITY;
        for (int rep = 0; rep < reps; rep++)
            for (int v = 0; v < VARIANTS; v++) {
                const Kernels *kn = &variants[v];
                const double t0 = now();
                for (int n = 0; n < samples; n++) {
                    const float *xn = xg + (int64_t)n * g.stride * C, *dyn = dyg + (int64_t)n * g.stride * D;
                    if (k == 0) kn->forward(level, &g, xn, packed, theta, masks, activated, y, P);
                    if (k == 1) kn->input(level, &g, xn, packed, theta, masks, activated, dyn, dx, 0, mode == RELU ? NULL : dTheta,
                                          NULL);
                    if (k == 2) kn->weight(level, &g, xn, theta, masks, activated, dyn, partial);
                }
                const double t = now() - t0;
                best[v] = t < best[v] ? t : best[v];
            }
        for (int v = 0; v < VARIANTS; v++) out[v][k] = flops / best[v] * 1e-9;
    }
    free(xg), free(dyg), free(packed), free(theta), free(masks), free(y), free(dx), free(dTheta), free(partial);
}

int main(int argc, char **argv) {
    const int level = argc > 1 && atoi(argv[1]) >= 0 ? atoi(argv[1]) : dc_best_level();
    const int reps = argc > 2 ? atoi(argv[2]) : 15;
#ifdef AB_BASE
    const Kernels variants[] = {base, current};
#else
    const Kernels variants[] = {current};
#endif
    // A mid-block dense layer of each of DenseNet-40's blocks (growth 12): C input channels at H × W.
    const int shapes[][3] = {{16, 32, 32}, {88, 32, 32}, {160, 32, 32}, {232, 16, 16}, {376, 8, 8}};
    printf("level %d; GFLOP/s on one core, best of %d runs of 16 samples%s\n", level, reps,
           VARIANTS == 2 ? ", base and this tree in turn: base -> new (new / base)" : "");
    printf("%-10s %-11s %24s %24s %24s %10s\n", "input", "activation", "forward", "dx", "dW", "max error");
    for (int s = 0; s < 5; s++)
        for (enum Mode mode = RELU; mode <= THRESHOLDS; mode++) {
            const int C = shapes[s][0], H = shapes[s][1], W = shapes[s][2];
            const double error = check(level, C, 12, H, W, mode);
            double g[VARIANTS][3];
            timeKernels(level, variants, C, 12, H, W, mode, 16, reps, g);
            printf("%3dx%dx%-4d %-11s", C, H, W, modeNames[mode]);
            for (int k = 0; k < 3; k++) {
                char cell[32];
                if (VARIANTS == 2) snprintf(cell, sizeof cell, "%.1f -> %.1f (%.2f)", g[0][k], g[VARIANTS - 1][k],
                                            g[VARIANTS - 1][k] / g[0][k]);
                else snprintf(cell, sizeof cell, "%.1f", g[0][k]);
                printf(" %24s", cell);
            }
            printf(" %10.1e%s\n", error, error > 1e-4 ? "  WRONG" : "");
        }
    return 0;
}
