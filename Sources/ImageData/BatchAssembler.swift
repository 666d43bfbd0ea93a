import Tensor

/// Per-channel normalisation `(pixel / 255 - mean) / std`, as torchvision's ToTensor + Normalize.
package struct Normalization: Sendable, Equatable {
    /// Per channel (R, G, B), on the 0...1 pixel scale.
    package let mean: [Float]
    package let std: [Float]

    package init(mean: [Float], std: [Float]) {
        precondition(mean.count == CIFARDataset.channels && std.count == CIFARDataset.channels,
                     "Normalization: need \(CIFARDataset.channels) means and stds")
        precondition(std.allSatisfy { $0 > 0 }, "Normalization: std must be positive")
        self.mean = mean
        self.std = std
    }

    /// The published statistics of the CIFAR-10 training set. The std is the population std of
    /// all pixels; the often-copied (0.2023, 0.1994, 0.2010) is not, and is not used here.
    package static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// The published statistics of the CIFAR-100 training set.
    package static let cifar100 = Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])

    package static func standard(for variant: CIFARVariant) -> Normalization {
        variant == .cifar10 ? cifar10 : cifar100
    }

    /// The mean and (population) standard deviation of each channel over all images of `dataset`.
    package init(statisticsOf dataset: CIFARDataset) {
        // A histogram per channel keeps the sums exact, whatever the dataset's size.
        let plane = CIFARDataset.side * CIFARDataset.side
        var histogram = [Int](repeating: 0, count: CIFARDataset.channels * 256)
        dataset.images.withUnsafeBufferPointer { pixels in
            histogram.withUnsafeMutableBufferPointer { counts in
                for image in 0..<dataset.count {
                    for channel in 0..<CIFARDataset.channels {
                        let start = image * CIFARDataset.imageSize + channel * plane
                        for pixel in pixels[start..<(start + plane)] { counts[channel * 256 + Int(pixel)] += 1 }
                    }
                }
            }
        }
        var mean: [Float] = []
        var std: [Float] = []
        for channel in 0..<CIFARDataset.channels {
            let counts = histogram[(channel * 256)..<((channel + 1) * 256)]
            let total = Double(max(counts.reduce(0, +), 1))
            var sum = 0.0
            var sumOfSquares = 0.0
            for (value, count) in zip(0..., counts) {
                let x = Double(value) / 255
                sum += Double(count) * x
                sumOfSquares += Double(count) * x * x
            }
            let channelMean = sum / total
            mean.append(Float(channelMean))
            // A constant channel has std 0; 1 keeps the normalisation defined (it only shifts).
            let variance = max(sumOfSquares / total - channelMean * channelMean, 0)
            std.append(variance > 0 ? Float(variance.squareRoot()) : 1)
        }
        self.init(mean: mean, std: std)
    }
}

/// Training-time augmentation, the standard CIFAR recipe: zero padding and a random 32×32 crop,
/// then a random horizontal flip.
package struct Augmentation: Sendable, Equatable {
    /// Zero pixels added on every side before the random crop; 0 turns cropping off.
    package let padding: Int
    /// Probability of mirroring an image left to right; 0 turns flipping off.
    package let flipProbability: Double

    package init(padding: Int, flipProbability: Double) {
        precondition(padding >= 0 && padding < CIFARDataset.side, "Augmentation: padding \(padding) out of range")
        precondition((0...1).contains(flipProbability), "Augmentation: flip probability \(flipProbability) out of range")
        self.padding = padding
        self.flipProbability = flipProbability
    }

    /// Pad 4, random crop, flip with p = 0.5.
    package static let standard = Augmentation(padding: 4, flipProbability: 0.5)
    /// For evaluation: the image as it is (still normalised).
    package static let none = Augmentation(padding: 0, flipProbability: 0)
}

/// Turns dataset images into a normalised (and possibly augmented) Float32 NCHW batch.
///
/// Padding follows torchvision's `RandomCrop(32, padding: 4)` placed before `Normalize`: the
/// padding is raw pixel value 0, which becomes `-mean / std` after normalisation, not 0.
///
/// Random draws, per image in batch order: when padding > 0, the crop's top offset and then its
/// left offset, each `rng.int(below: 2 * padding + 1)`; when the flip probability is > 0, then
/// `rng.bernoulli(flipProbability)`. Nothing is drawn for a disabled step.
package struct BatchAssembler: Sendable {
    package let normalization: Normalization
    package let augmentation: Augmentation
    /// Normalised value of each byte value, 256 entries per channel: one lookup per pixel.
    private let lookup: [Float]

    package init(normalization: Normalization, augmentation: Augmentation) {
        self.normalization = normalization
        self.augmentation = augmentation
        lookup = (0..<CIFARDataset.channels).flatMap { channel in
            (0..<256).map { (Float($0) / 255 - normalization.mean[channel]) / normalization.std[channel] }
        }
    }

    /// Writes images `samples` of `dataset` into `images`, resized to [samples.count, 3, 32, 32],
    /// and their labels into `labels` (replacing its contents). Neither allocates once they
    /// have held a batch of this size.
    package func assemble(_ samples: some Collection<Int>, from dataset: CIFARDataset,
                         into images: Tensor, labels: inout [Int32], rng: inout RNG) {
        let side = CIFARDataset.side
        let plane = side * side
        let padding = augmentation.padding
        images.resize(to: [samples.count, CIFARDataset.channels, side, side])
        labels.removeAll(keepingCapacity: true)
        var output = images.pointer
        dataset.images.withUnsafeBufferPointer { pixels in
            lookup.withUnsafeBufferPointer { lookup in
                for sample in samples {
                    precondition(sample >= 0 && sample < dataset.count, "BatchAssembler: sample \(sample) out of 0..<\(dataset.count)")
                    labels.append(dataset.labels[sample])
                    // Output pixel (y, x) shows source pixel (y + shiftY, x + shiftX), mirrored
                    // first when flipped; source pixels outside the image are the zero padding.
                    var shiftY = 0
                    var shiftX = 0
                    var flip = false
                    if padding > 0 {
                        shiftY = rng.int(below: 2 * padding + 1) - padding
                        shiftX = rng.int(below: 2 * padding + 1) - padding
                    }
                    if augmentation.flipProbability > 0 { flip = rng.bernoulli(augmentation.flipProbability) }
                    let image = pixels.baseAddress! + sample * CIFARDataset.imageSize
                    for channel in 0..<CIFARDataset.channels {
                        let table = lookup.baseAddress! + channel * 256
                        let paddingValue = table[0]
                        for y in 0..<side {
                            let row = output + (channel * side + y) * side
                            let sourceY = y + shiftY
                            guard sourceY >= 0 && sourceY < side else {
                                row.update(repeating: paddingValue, count: side)
                                continue
                            }
                            let sourceRow = image + channel * plane + sourceY * side
                            for x in 0..<side {
                                let sourceX = (flip ? side - 1 - x : x) + shiftX
                                row[x] = sourceX >= 0 && sourceX < side ? table[Int(sourceRow[sourceX])] : paddingValue
                            }
                        }
                    }
                    output += CIFARDataset.imageSize
                }
            }
        }
    }
}
