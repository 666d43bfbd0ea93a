// The FMA ceiling of one core, which the direct kernels' GFLOP/s (bench/direct_conv_kernels.c)
// are read against: 16 independent chains of 512-bit FMAs.
//   clang -O2 -march=native -o /tmp/fma_peak bench/fma_peak.c && /tmp/fma_peak
#include <stdio.h>
#include <time.h>

typedef float V __attribute__((vector_size(64)));

int main(void) {
    V acc[16], b = (V){0} + 0.999f, c = (V){0} + 1e-4f;
    for (int i = 0; i < 16; i++) acc[i] = (V){0} + i * 1e-3f;
    const long rounds = 200000000 / 16;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < rounds; k++) {
        for (int i = 0; i < 16; i++) acc[i] = acc[i] * b + c;
        __asm__ volatile("" ::"v"(acc[0]), "v"(acc[5]), "v"(acc[10]), "v"(acc[15]));  // keep every chain
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    float sink = 0;
    for (int i = 0; i < 16; i++) sink += acc[i][3];
    printf("512-bit FMA peak on one core: %.1f GFLOP/s (%g)\n", rounds * 16.0 * 16 * 2 / seconds * 1e-9, sink);
    return 0;
}
