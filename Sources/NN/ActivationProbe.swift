import Kernels
import Tensor

/// Watches the input of one activation over an evaluation pass: which units (channel × position)
/// ever pass their input on, and a thinned sample of the input values for a histogram.
///
/// A unit is dead when the activation's output at it never changes over the pass: its input
/// stays at or below the threshold on every sample (ReLU: 0; AdaReLU: its θ; ConvReLU: the
/// smallest θ of its channel over the kernel offsets, below which none of the next
/// convolution's taps lets it through), so it passes neither a signal nor a gradient to its
/// input. LeakyReLU and PReLU pass every input with some slope: they have no dead units.
package final class ActivationProbe {
    /// What decides whether a unit's output changes: the threshold its input must exceed.
    package enum Floor {
        /// None: the output always moves with the input (LeakyReLU, PReLU).
        case none
        /// One threshold for every unit (ReLU: 0; AdaReLU shared by the layer).
        case constant(Float)
        /// One per channel.
        case perChannel([Float])
        /// One per unit, channel-major.
        case perUnit([Float])
    }

    /// Most input values kept for the histogram; beyond it every other one is dropped and the
    /// stride between kept values doubles, so the sample stays spread evenly over the pass.
    package let sampleCapacity: Int
    /// Per unit, the largest input seen in the pass (channel-major); empty before the first batch.
    /// A unit is dead when even that stays at or below its floor.
    private var peak: [Float] = []
    /// The floor of the last batch: the thresholds do not change during a pass.
    private var floor = Floor.none
    private var shape: (channels: Int, size: Int) = (0, 0)
    package private(set) var samples: [Float] = []
    /// Values seen so far, and the stride between kept ones (every value's index counts).
    private var seen = 0
    private var sampleStride = 1

    package init(sampleCapacity: Int = 16_384) {
        precondition(sampleCapacity >= 2, "ActivationProbe: sample capacity \(sampleCapacity)")
        self.sampleCapacity = sampleCapacity
    }

    /// Forgets everything seen: the start of a pass.
    package func reset() {
        peak = []
        floor = .none
        shape = (0, 0)
        samples = []
        seen = 0
        sampleStride = 1
    }

    /// Units of the activation's input (channels × positions), 0 before the first batch.
    package var unitCount: Int { peak.count }

    /// The share of units that never passed their input on, or nil where units cannot die or
    /// nothing was seen.
    package var deadFraction: Double? {
        let size = shape.size
        let dead: Int
        switch floor {
        case .none: return nil
        case .constant(let t): dead = peak.count { $0 <= t }
        case .perChannel(let floors): dead = peak.indices.count { peak[$0] <= floors[$0 / size] }
        case .perUnit(let floors): dead = peak.indices.count { peak[$0] <= floors[$0] }
        }
        return peak.isEmpty ? nil : Double(dead) / Double(peak.count)
    }

    /// Takes one batch of the activation's input: `x`, read through `affine` (a batch norm the
    /// convolution applies as it reads) when given.
    package func observe(_ x: ChannelSlice, affine: DirectConvolution.InputAffine? = nil, floor: Floor) {
        let (channels, size) = (x.channels.count, x.planeSize)
        if peak.isEmpty {
            peak = Array(repeating: -.infinity, count: channels * size)
            shape = (channels, size)
        }
        precondition(shape == (channels, size), "ActivationProbe: input \(x.shape) after inputs of \(shape.channels) × \(shape.size)")
        self.floor = floor
        if case .none = floor {} else { updatePeaks(x, affine: affine) }
        for n in 0..<x.batch {
            for c in 0..<channels {
                let (scale, shift) = affine.map { ($0.scale[c], $0.shift[c]) } ?? (1, 0)
                keepSamples(x.pointer + n * x.sampleStride + c * size, count: size, scale: scale, shift: shift)
            }
        }
    }

    /// Raises each unit's peak to its input in this batch, channels in parallel (each owns its
    /// units): a validation pass reads every activation input once more.
    private func updatePeaks(_ x: ChannelSlice, affine: DirectConvolution.InputAffine?) {
        let (channels, size, batch, sampleStride) = (x.channels.count, x.planeSize, x.batch, x.sampleStride)
        nonisolated(unsafe) let input = x.pointer
        peak.withUnsafeMutableBufferPointer { peak in
            nonisolated(unsafe) let peak = peak.baseAddress!
            parallelFor(channels) { c in
                let (scale, shift) = affine.map { ($0.scale[c], $0.shift[c]) } ?? (1, 0)
                let units = peak + c * size
                for n in 0..<batch {
                    let values = input + n * sampleStride + c * size
                    for i in 0..<size { units[i] = max(units[i], values[i] * scale + shift) }
                }
            }
        }
    }

    private func keepSamples(_ values: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
        // The values whose index over the whole pass is a multiple of the stride.
        var i = (sampleStride - seen % sampleStride) % sampleStride
        while i < count {
            if samples.count == sampleCapacity {
                samples = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
                sampleStride *= 2
                // The next kept index is the next multiple of the doubled stride.
                let index = seen + i
                i += (sampleStride - index % sampleStride) % sampleStride
                continue
            }
            samples.append(values[i] * scale + shift)
            i += sampleStride
        }
        seen += count
    }
}
