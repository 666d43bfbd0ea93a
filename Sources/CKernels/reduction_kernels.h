// The reductions of reductions.h, included by kernels.c for each instruction set after
// direct_conv_kernels.h (whose vector types and helpers they use).

static float FN(sum_all)(const float *x, int64_t count) {
    VF acc = FN(splat)(0);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) acc += FN(load)(x + i);
    float s = FN(sum)(acc);
    for (; i < count; i++) s += x[i];
    return s;
}

static float FN(sum_squared_deviations)(const float *x, float mean, int64_t count) {
    const VF m = FN(splat)(mean);
    VF acc = FN(splat)(0);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        const VF d = FN(load)(x + i) - m;
        acc += d * d;
    }
    float s = FN(sum)(acc);
    for (; i < count; i++) s += (x[i] - mean) * (x[i] - mean);
    return s;
}

static void FN(sum_gradients)(const float *dy, const float *x, float mean, int64_t count, float *sumDy,
                              float *sumDyCentered) {
    const VF m = FN(splat)(mean);
    VF a = FN(splat)(0), b = FN(splat)(0);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        const VF g = FN(load)(dy + i);
        a += g;
        b += g * (FN(load)(x + i) - m);
    }
    float s = FN(sum)(a), t = FN(sum)(b);
    for (; i < count; i++) {
        s += dy[i];
        t += dy[i] * (x[i] - mean);
    }
    *sumDy += s;
    *sumDyCentered += t;
}
