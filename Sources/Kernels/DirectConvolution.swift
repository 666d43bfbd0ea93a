import CKernels

/// The column-free path for skinny "same" convolutions (`ConvSchedule.direct`): a dense block's
/// 3×3 convolutions add 12 channels each, so the GEMM of an im2col formulation has M = 12 and
/// is bound by writing and re-reading a column matrix nine times the input. The C kernels in
/// CKernels keep a tile of outputs in registers instead and apply the input activation
/// (ReLU, ConvReLU thresholds or none) per tap as they load. Float only.
///
/// The cores take samples in turn. Each chunk copies its sample's input (and, backward, output
/// gradient) into a guarded buffer whose padding keeps every shifted load in bounds, and sums
/// dW, db and dθ into its own slice of the scratch buffer; the slices are added at the end.
/// When every tap of a channel shares its threshold (ReLU, none, ConvReLU at its zero start),
/// the copy applies it and the kernels run `activated`, without a max per tap.
public enum DirectConvolution {
    /// A per-channel affine map the kernels apply to their input as they copy it in: a batch
    /// norm's y = x · scale + shift, so that a dense layer's BN → (ReLU | ConvReLU) → conv never
    /// stores the normalised input.
    public struct InputAffine: @unchecked Sendable {  // read-only pointers, shared by the workers
        public var scale: UnsafePointer<Float>
        public var shift: UnsafePointer<Float>
        public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) { (self.scale, self.shift) = (scale, shift) }
    }

    /// A training batch norm whose `InputAffine` the kernels read through, for the input-gradient
    /// kernel to take its backward in the same pass (`dc_norm_gradient`): instead of the gradient
    /// g of the mapped input, dx receives scale · g, and per channel Σ g and Σ g · (x − mean)
    /// over the batch are written, from which the rest follows (`batchNormGradient(fromSums:)`).
    public struct NormGradient: @unchecked Sendable {  // the workers read `mean`; the sums are written after them
        public var mean: UnsafePointer<Float>
        public var sumGradient: UnsafeMutablePointer<Float>
        public var sumCenteredGradient: UnsafeMutablePointer<Float>
        public init(mean: UnsafePointer<Float>, sumGradient: UnsafeMutablePointer<Float>,
                    sumCenteredGradient: UnsafeMutablePointer<Float>) {
            (self.mean, self.sumGradient, self.sumCenteredGradient) = (mean, sumGradient, sumCenteredGradient)
        }
    }

    /// Whether `g` has the shape the kernels handle: stride 1, odd kernel, padding half the kernel.
    public static func supports(_ g: ConvGeometry) -> Bool {
        dc_supports(Int32(g.kernelHeight), Int32(g.kernelWidth), Int32(g.padHeight), Int32(g.padWidth),
                    Int32(g.strideHeight), Int32(g.strideWidth)) != 0
    }

    static func layout(_ g: ConvGeometry) -> dc_layout {
        dc_make_layout(Int32(g.inChannels), Int32(g.outChannels), Int32(g.inHeight), Int32(g.inWidth),
                       Int32(g.kernelHeight), Int32(g.kernelWidth))
    }

    /// Values of one core's guarded buffer: the input's or the output gradient's planes.
    /// Forward needs one such buffer per core, backward two.
    public static func guardedCount(_ g: ConvGeometry) -> Int {
        Int(layout(g).stride) * max(g.inChannels, g.outChannels)
    }

    /// Scratch values: the mask table, the packed weights, stand-in thresholds, the channel
    /// floors, and each chunk's dW, db and dθ, its per-lane dW sums and its batch-norm sums.
    public static func scratchCount(_ g: ConvGeometry) -> Int {
        var l = layout(g)
        return Int(dc_mask_count(&l)) + g.weightCount + g.columnRows + g.inChannels
            + (ChunkGradients<Float>.sliceSize(g) + Int(dc_weight_partial_count(&l)) + 2 * g.inChannels) * parallelChunkCount
    }

    /// The scratch buffer's parts. Without trainable thresholds the kernels still read one per
    /// tap: -infinity (the input as it is).
    private struct Scratch {
        var masks: UnsafeMutablePointer<Int32>
        var packedWeights: UnsafePointer<Float>
        var threshold: UnsafePointer<Float>
        /// When every tap of a channel shares its threshold (ReLU, none, ConvReLU at its zero
        /// start): those thresholds, one per channel, which the input copies apply, so that the
        /// kernels run `activated`. Otherwise nil.
        var floors: UnsafePointer<Float>?
        var partials: UnsafeMutablePointer<Float>

        init(_ scratch: UnsafeMutablePointer<Float>, _ layout: inout dc_layout, _ g: ConvGeometry,
             weight: UnsafePointer<Float>, threshold: UnsafePointer<Float>?) {
            let maskCount = Int(dc_mask_count(&layout))
            masks = UnsafeMutableRawPointer(scratch).bindMemory(to: Int32.self, capacity: maskCount)
            dc_build_masks(&layout, masks)
            let packed = scratch + maskCount
            dc_pack_weights(&layout, weight, packed)
            packedWeights = UnsafePointer(packed)
            let standIn = packed + g.weightCount
            if threshold == nil { standIn.update(repeating: -.infinity, count: g.columnRows) }
            let threshold = threshold ?? UnsafePointer(standIn)
            self.threshold = threshold
            let floors = standIn + g.columnRows
            if dc_shared_thresholds(&layout, threshold) != 0 {
                let taps = g.columnRows / g.inChannels
                for c in 0..<g.inChannels { floors[c] = threshold[c * taps] }
                self.floors = UnsafePointer(floors)
            }
            partials = floors + g.inChannels
        }

        /// The `activated` argument of the kernels.
        var activated: Int32 { floors == nil ? 0 : 1 }
    }

    /// `inputAffine`: per input channel, read x · scale + shift instead of x (see `InputAffine`).
    public static func forward(x: UnsafePointer<Float>, inputStride: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        threshold: UnsafePointer<Float>?, inputAffine: InputAffine? = nil, _ g: ConvGeometry, batch: Int,
                        y: UnsafeMutablePointer<Float>, outputStride: Int,
                        guarded: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        level: Int32 = VectorKernels.level) {
        var l = layout(g)
        let parts = Scratch(scratch, &l, g, weight: weight, threshold: threshold)
        let P = g.columnCount, span = guardedCount(g)
        nonisolated(unsafe) let (x, y, guarded, bias) = (x, y, guarded, bias)
        parallelChunks(batch) { chunk, samples in
            var l = l
            let xg = guarded + chunk * span
            for n in samples {
                dc_copy_guarded(&l, x + n * inputStride, Int64(P), Int32(g.inChannels), inputAffine?.scale, inputAffine?.shift,
                                parts.floors, xg)
                let yn = y + n * outputStride
                dc_forward(level, &l, xg, parts.packedWeights, parts.threshold, parts.masks, parts.activated, yn, Int64(P))
                if let bias {
                    for d in 0..<g.outChannels {
                        let plane = yn + d * P
                        for q in 0..<P { plane[q] += bias[d] }
                    }
                }
            }
        }
    }

    /// `dx` is the gradient of the input as the kernels read it (after `inputAffine`), added into
    /// dx or, with `overwritingDx`, written over it. With `normGradient` (which needs
    /// `inputAffine` and `dx`), dx is the batch norm's input instead, and is added into.
    public static func backward(x: UnsafePointer<Float>, inputStride: Int, weight: UnsafePointer<Float>,
                         threshold: UnsafePointer<Float>?, inputAffine: InputAffine? = nil, normGradient: NormGradient? = nil,
                         _ g: ConvGeometry, batch: Int,
                         dy: UnsafePointer<Float>, outputStride: Int, dx: UnsafeMutablePointer<Float>?, dxStride: Int,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                         dThreshold: UnsafeMutablePointer<Float>?, overwritingDx: Bool = false,
                         guardedInput: UnsafeMutablePointer<Float>, guardedGradient: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, level: Int32 = VectorKernels.level) {
        precondition(normGradient == nil || (inputAffine != nil && dx != nil && !overwritingDx),
                     "DirectConvolution: a batch norm's gradient needs its input affine map and a dx to add into")
        var l = layout(g)
        let parts = Scratch(scratch, &l, g, weight: weight, threshold: threshold)
        let P = g.columnCount, C = g.inChannels, D = g.outChannels, span = guardedCount(g)
        let sums = ChunkGradients(zeroing: parts.partials, g)
        let laneSumsSize = Int(dc_weight_partial_count(&l)), laneSums = sums.end
        laneSums.update(repeating: 0, count: laneSumsSize * parallelChunkCount)
        // Each chunk's Σ g and Σ g · (x − mean) per channel, side by side.
        let normSums = laneSums + laneSumsSize * parallelChunkCount
        if normGradient != nil { normSums.update(repeating: 0, count: 2 * C * parallelChunkCount) }
        let needsInputPass = dx != nil || dThreshold != nil
        nonisolated(unsafe) let (x, dy, dx, guardedInput, guardedGradient) = (x, dy, dx, guardedInput, guardedGradient)
        parallelChunks(batch) { chunk, samples in
            var l = l
            let xg = guardedInput + chunk * span, dyg = guardedGradient + chunk * span
            let dWLanes = laneSums + chunk * laneSumsSize
            var norm = dc_norm_gradient(x: nil, mean: normGradient?.mean, scale: inputAffine?.scale,
                                        sumGradient: normSums + 2 * C * chunk, sumCenteredGradient: normSums + 2 * C * chunk + C)
            for n in samples {
                let dyn = dy + n * outputStride
                dc_copy_guarded(&l, x + n * inputStride, Int64(P), Int32(g.inChannels), inputAffine?.scale, inputAffine?.shift,
                                parts.floors, xg)
                dc_copy_guarded(&l, dyn, Int64(P), Int32(D), nil, nil, nil, dyg)
                dc_backward_weight(level, &l, xg, parts.threshold, parts.masks, parts.activated, dyg, dWLanes)
                if needsInputPass {
                    func backwardInput(_ norm: UnsafePointer<dc_norm_gradient>?) {
                        dc_backward_input(level, &l, xg, parts.packedWeights, parts.threshold, parts.masks, parts.activated,
                                          dyg, dx.map { $0 + n * dxStride }, overwritingDx ? 0 : 1,
                                          dThreshold == nil ? nil : sums.threshold(chunk), norm)
                    }
                    if normGradient == nil {
                        backwardInput(nil)
                    } else {
                        norm.x = x + n * inputStride
                        backwardInput(&norm)
                    }
                }
                if dBias != nil {
                    let db = sums.bias(chunk)
                    for d in 0..<D { db[d] += sum(dyn + d * P, count: P) }
                }
            }
            dc_reduce_weight_partials(level, &l, dWLanes, sums.weight(chunk))
        }
        sums.addAll(dWeight: dWeight, dBias: dBias, dThreshold: dThreshold)
        if let normGradient {
            for c in 0..<C {
                var (sumG, sumCentered): (Float, Float) = (0, 0)
                for chunk in 0..<parallelChunkCount {
                    sumG += normSums[2 * C * chunk + c]
                    sumCentered += normSums[2 * C * chunk + C + c]
                }
                (normGradient.sumGradient[c], normGradient.sumCenteredGradient[c]) = (sumG, sumCentered)
            }
        }
    }
}
