// The column-row kernels, included by kernels.c for each instruction set after
// direct_conv_kernels.h (whose vector types and helpers they use).

static void FN(build_row)(const float *src, float threshold, float *dst, int64_t count) {
    const VF t = FN(splat)(threshold);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) *(VF *)(dst + i) = FN(vmax)(FN(load)(src + i), t);
    for (; i < count; i++) dst[i] = src[i] > threshold ? src[i] : threshold;
}

static float FN(scatter_row)(const float *src, float threshold, const float *gradient, float *dst, int64_t count) {
    const VF t = FN(splat)(threshold);
    VF clamped = FN(splat)(0);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        const VF g = FN(load)(gradient + i);
        const VI passed = FN(load)(src + i) > t;
        if (dst) *(VF *)(dst + i) = FN(load)(dst + i) + FN(keep)(g, passed);
        clamped += FN(keep)(g, ~passed);
    }
    float sum = FN(sum)(clamped);
    for (; i < count; i++) {
        if (src[i] > threshold) {
            if (dst) dst[i] += gradient[i];
        } else {
            sum += gradient[i];
        }
    }
    return sum;
}
