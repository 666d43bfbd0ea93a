#ifndef DIRECT_CONV_H
#define DIRECT_CONV_H
// Direct (column-free) kernels for skinny "same" convolutions: stride 1, an odd kernel padded
// by half its size, and few output channels, like the 3×3 convolutions of a dense block that
// add 12 channels each. An im2col formulation writes and reads back a column matrix nine times
// the input for a GEMM whose M is 12, so it is bound by memory; these kernels instead keep a
// tile of outputs in vector registers and stream the input once per tile.
//
// Every kernel applies the input activation per tap: the value a tap reads is max(x, θ[c,a])
// with one θ per (input channel, kernel offset), as in ConvReLU. A ReLU is θ = 0 and a plain
// convolution θ = -infinity. Taps that fall in the zero padding contribute 0 (the padding pads
// the activated input) and give no θ gradient. When every tap of a channel shares its threshold
// (a ReLU, a plain convolution, ConvReLU at its zero start), the input can instead be copied in
// activated (`dc_copy_guarded` with that floor) and the kernels called with `activated`: they
// then skip the per-tap max, mask only the taps off the centre column, and, without a θ
// gradient, sum the input gradient over all taps before gating it once.
//
// Layout: a sample's planes are copied into a "guarded" buffer, each plane with `guard` zeros
// before it and the rest of its `stride` after it, so that every shifted vector load stays in
// bounds; which lanes of a shifted load are real taps is read from a mask table built once per
// geometry. The kernels are written once with vector extensions and compiled for AVX-512,
// AVX2 and baseline x86-64 (or the target's default); `dc_best_level` picks at run time.
//
// Names: the prefix of a C kernel names its family, one per header: `dc_` direct convolution
// (here), `cr_` column rows of the im2col path (column_rows.h), `oh_` one-hot convolution
// (one_hot.h), `vk_` vector reductions (reductions.h), `mp_` max-pool rows (pool_rows.h).
// The `dc_`, `cr_`, `oh_` and `vk_` kernels are compiled once per instruction set in kernels.c
// (static copies suffixed `_generic`, `_avx2`, `_avx512`), and each entry point takes the level
// to run as its first argument: callers pass `dc_best_level()`, read once per process by Swift
// (`VectorKernels.level`), and tests pass lower levels to check every copy. A level the build
// lacks (AVX on a non-x86 target) falls back to the best it has. The `mp_` kernels take no
// level: they are `target_clones`, which the loader resolves for this CPU.
#include <stdint.h>

/// Positions per block: the layout rounds each plane up to a multiple of this.
enum { DC_BLOCK = 64 };

/// The widest vector, in floats, of any build.
enum { DC_MAX_LANES = 16 };

/// Instruction-set levels, from the portable build up: the first argument of every `dc_`, `cr_`,
/// `oh_` and `vk_` kernel.
enum { DC_LEVEL_GENERIC = 0, DC_LEVEL_AVX2 = 1, DC_LEVEL_AVX512 = 2 };

typedef struct {
    int32_t channels, outChannels, height, width, kernelHeight, kernelWidth;
    /// kernelHeight · kernelWidth.
    int32_t taps;
    /// height · width, and the same rounded up to DC_BLOCK.
    int32_t plane, blockedPlane;
    /// Zeros before each guarded plane, and the distance between guarded planes.
    int32_t guard, stride;
} dc_layout;

/// Whether a geometry suits these kernels: odd kernel, padding half the kernel, stride 1.
int dc_supports(int32_t kernelHeight, int32_t kernelWidth, int32_t padHeight, int32_t padWidth,
                int32_t strideHeight, int32_t strideWidth);

dc_layout dc_make_layout(int32_t channels, int32_t outChannels, int32_t height, int32_t width,
                         int32_t kernelHeight, int32_t kernelWidth);

/// The best level this CPU runs.
int dc_best_level(void);

/// Values of the mask table: taps × blockedPlane.
int64_t dc_mask_count(const dc_layout *layout);
/// Fills the mask table: -1 where tap a of output position p reads a real input value, else 0.
void dc_build_masks(const dc_layout *layout, int32_t *masks);

/// Copies `planes` planes of `plane` values, `srcStride` apart, into the guarded layout, as
/// src · scale[c] + shift[c] when `scale` and `shift` are given (a batch norm's affine form,
/// applied on the way in so the normalised input is never stored), then as max(·, floor[c])
/// when `floor` is given (the activation, for kernels called with `activated`).
void dc_copy_guarded(const dc_layout *layout, const float *src, int64_t srcStride, int32_t planes, const float *scale,
                     const float *shift, const float *floor, float *dst);

/// 1 when every channel's taps share one threshold (θ[c,a] = θ[c,0] for all a), else 0: then
/// the input may be copied in activated with floor θ[c,0].
int dc_shared_thresholds(const dc_layout *layout, const float *theta);

/// Rearranges weights (D, C, kh, kw) as (C, kh, kw, D), so that the output channels a tap
/// feeds lie side by side: the layout the forward and input-gradient kernels read.
void dc_pack_weights(const dc_layout *layout, const float *w, float *packed);

/// Forward for one sample: y[d, p] = Σ_{c,a} w[d,c,a] · max(x[c, p+a], θ[c,a]), written to y
/// (planes `yStride` apart). `xGuarded`: the input in the guarded layout, copied in with the
/// floor θ[c,0] when `activated` (which needs shared thresholds).
void dc_forward(int level, const dc_layout *layout, const float *xGuarded, const float *packedWeights,
                const float *theta, const int32_t *masks, int activated, float *y, int64_t yStride);

/// A batch norm in training mode whose affine form the input was copied in through
/// (`dc_copy_guarded` with scale γ/σ and shift β − μγ/σ), for `dc_backward_input` to take its
/// backward in the same pass as the convolution's. With g the gradient of the mapped input, the
/// batch norm's input gradient is scale · (g − mean(g) − x̂ · mean(g · x̂)) (x̂ = (x − μ)/σ, means
/// over the batch): the kernel adds scale · g into dx and the sums that the rest needs, so g is
/// never stored and the input is read once more, not three times.
typedef struct {
    /// The sample's input before the map, channel planes `plane` apart.
    const float *x;
    /// Per channel: the batch mean μ and the map's scale γ/σ.
    const float *mean, *scale;
    /// Per channel, added to: Σ g and Σ g · (x − μ) over the sample's positions.
    float *sumGradient, *sumCenteredGradient;
} dc_norm_gradient;

/// Input gradient for one sample, added into dx (planes `plane` apart; NULL to skip) or, without
/// `accumulate`, written over it; and the θ gradient accumulated into dTheta (C·taps values; NULL
/// to skip). `dyGuarded`: the output gradient in the guarded layout (D planes). `xGuarded` and
/// `activated` as for `dc_forward`. With `norm` (see `dc_norm_gradient`; dx required), dx is
/// the batch norm's input, and what is added into it is scale · g.
void dc_backward_input(int level, const dc_layout *layout, const float *xGuarded, const float *packedWeights,
                       const float *theta, const int32_t *masks, int activated, const float *dyGuarded, float *dx,
                       int accumulate, float *dTheta, const dc_norm_gradient *norm);

/// Weight gradient for one sample, accumulated as per-lane partial sums (one vector per weight)
/// into `partial`, so that summing over a plane and over samples needs no horizontal sums;
/// `dc_reduce_weight_partials` adds them into dW (D, C, kh, kw) once at the end.
void dc_backward_weight(int level, const dc_layout *layout, const float *xGuarded, const float *theta,
                        const int32_t *masks, int activated, const float *dyGuarded, float *partial);

/// Values of `partial`, to be zeroed before the first sample.
int64_t dc_weight_partial_count(const dc_layout *layout);

/// dW += the lane sums of `partial`, at the same level it was accumulated with.
void dc_reduce_weight_partials(int level, const dc_layout *layout, const float *partial, float *dW);

#endif
