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
    /// Per unit, whether its input ever exceeded its floor; empty before the first batch.
    private var live: [UInt8] = []
    private var canDie = true
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
        live = []
        canDie = true
        shape = (0, 0)
        samples = []
        seen = 0
        sampleStride = 1
    }

    /// Units of the activation's input (channels × positions), 0 before the first batch.
    package var unitCount: Int { live.count }

    /// The share of units that never passed their input on, or nil where units cannot die or
    /// nothing was seen.
    package var deadFraction: Double? {
        guard canDie, !live.isEmpty else { return nil }
        return Double(live.count - live.reduce(0) { $0 + Int($1) }) / Double(live.count)
    }

    /// Takes one batch of the activation's input: `x`, read through `affine` (a batch norm the
    /// convolution applies as it reads) when given.
    package func observe(_ x: ChannelSlice, affine: DirectConvolution.InputAffine? = nil, floor: Floor) {
        let (channels, size) = (x.channels.count, x.planeSize)
        if live.isEmpty {
            live = Array(repeating: 0, count: channels * size)
            shape = (channels, size)
        }
        precondition(shape == (channels, size), "ActivationProbe: input \(x.shape) after inputs of \(shape.channels) × \(shape.size)")
        if case .none = floor { canDie = false }
        for n in 0..<x.batch {
            let sample = x.pointer + n * x.sampleStride
            for c in 0..<channels {
                let values = sample + c * size
                let (scale, shift) = affine.map { ($0.scale[c], $0.shift[c]) } ?? (1, 0)
                markLive(values, count: size, scale: scale, shift: shift, unitOffset: c * size, channel: c, floor: floor)
                keepSamples(values, count: size, scale: scale, shift: shift)
            }
        }
    }

    private func markLive(_ values: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float,
                          unitOffset: Int, channel: Int, floor: Floor) {
        live.withUnsafeMutableBufferPointer { live in
            let live = live.baseAddress! + unitOffset
            switch floor {
            case .none: return
            case .constant(let t): markAbove(values, count, scale, shift, t, live)
            case .perChannel(let floors): markAbove(values, count, scale, shift, floors[channel], live)
            case .perUnit(let floors):
                for i in 0..<count where values[i] * scale + shift > floors[unitOffset + i] { live[i] = 1 }
            }
        }
    }

    private func markAbove(_ values: UnsafeMutablePointer<Float>, _ count: Int, _ scale: Float, _ shift: Float,
                           _ floor: Float, _ live: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count { live[i] |= values[i] * scale + shift > floor ? 1 : 0 }
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
