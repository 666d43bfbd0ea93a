/// A histogram of values in equal-width buckets between their minimum and maximum (TensorFlow 2's
/// `tf.summary.histogram` scheme), with the moments TensorBoard's histogram record carries.
package struct Histogram: Sendable, Equatable {
    package var min: Double
    package var max: Double
    package var count: Int
    package var sum: Double
    package var sumOfSquares: Double
    /// The right edge of each bucket; bucket i holds the values in (edge[i-1], edge[i]], the
    /// first one [min, edge[0]].
    package var upperEdges: [Double]
    package var counts: [Double]

    /// nil for no values, or any that is not finite (a histogram cannot place them). An array,
    /// not any collection: a generic loop called from another module may run unspecialised.
    package init?(_ values: [Float], buckets: Int = 30) {
        precondition(buckets >= 1, "Histogram: \(buckets) buckets")
        guard values.allSatisfy(\.isFinite), let low = values.min().map(Double.init), let high = values.max().map(Double.init) else {
            return nil
        }
        (min, max, count) = (low, high, values.count)
        (sum, sumOfSquares) = values.reduce((0.0, 0.0)) { ($0.0 + Double($1), $0.1 + Double($1) * Double($1)) }
        let width = (high - low) / Double(buckets)
        guard width > 0 else {
            (upperEdges, counts) = ([high], [Double(values.count)])
            return
        }
        upperEdges = (1...buckets).map { $0 == buckets ? high : low + Double($0) * width }
        var counts = [Double](repeating: 0, count: buckets)
        for value in values {
            let position = ((Double(value) - low) / width).rounded(.up) - 1
            counts[Swift.min(Swift.max(Int(position), 0), buckets - 1)] += 1
        }
        self.counts = counts
    }
}
