#include "pool_rows.h"

// The loader picks a target_clones version through a resolver that runs while relocating, before
// a sanitizer's runtime is up; instrumented by ThreadSanitizer it crashed the test binary at load
// (`swift test --sanitize=thread`, in mp_accumulate_row's resolver). Under a sanitizer the default
// loop is built alone: the same arithmetic, without the wider instructions.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define ROW_CLONES
#endif
#endif
#ifndef ROW_CLONES
#define ROW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

static inline __attribute__((always_inline)) void accumulate(const float *src, int64_t stride, float *dst, float *winner,
                                                             float tap, int64_t count) {
    for (int64_t o = 0; o < count; o++) {
        const float m = dst[o], v = src[o * stride];
        const int wins = !(v <= m) & (m == m);
        dst[o] = wins ? v : m;
        if (winner) winner[o] = wins ? tap : winner[o];
    }
}

ROW_CLONES
void mp_accumulate_row(const float *src, int64_t stride, float *dst, float *winner, float tap, int64_t count) {
    switch (stride) {
    case 2: winner ? accumulate(src, 2, dst, winner, tap, count) : accumulate(src, 2, dst, 0, tap, count); break;
    case 3: winner ? accumulate(src, 3, dst, winner, tap, count) : accumulate(src, 3, dst, 0, tap, count); break;
    default: accumulate(src, stride, dst, winner, tap, count);
    }
}

static inline __attribute__((always_inline)) void route(const float *dy, const float *winner, float tap, float *dst,
                                                        int64_t stride, int64_t count, int adding) {
    for (int64_t o = 0; o < count; o++) {
        const float taken = winner[o] == tap ? dy[o] : 0.0f;
        dst[o * stride] = adding ? dst[o * stride] + taken : taken;
    }
}

ROW_CLONES
void mp_route_row(const float *dy, const float *winner, float tap, float *dst, int64_t stride, int64_t count, int adding) {
    if (!adding && stride == 2) route(dy, winner, tap, dst, 2, count, 0);
    else if (!adding && stride == 3) route(dy, winner, tap, dst, 3, count, 0);
    else route(dy, winner, tap, dst, stride, count, adding);
}
