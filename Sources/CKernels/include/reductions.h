#ifndef REDUCTIONS_H
#define REDUCTIONS_H
// Float sums for batch norm's statistics and gradients, vectorised per instruction set like the
// direct kernels (`dc_best_level` picks the level). Swift keeps a float sum in order, one lane
// at a time; these keep one partial sum per lane. Prefix `vk_`: vector kernel (the Swift side's
// `VectorKernels`).
#include <stdint.h>

/// Σ x[i].
float vk_sum(int level, const float *x, int64_t count);

/// Σ (x[i] - mean)².
float vk_sum_squared_deviations(int level, const float *x, float mean, int64_t count);

/// Σ dy[i] into *sumDy and Σ dy[i] · (x[i] - mean) into *sumDyCentered (both added to).
void vk_sum_gradients(int level, const float *dy, const float *x, float mean, int64_t count, float *sumDy,
                      float *sumDyCentered);

#endif
