import Models
import NN
import Tensor
import Testing

/// The global-max head: its layers and parameter names, its sites, and backward against a
/// finite difference along the gradient (ReLU/ConvReLU run after the global pool, PReLU before).
@Suite struct CharCNNHeadTests {
    static func configuration(_ activation: Activation, sites: [Int], batchNorm: Bool, head: CharCNNHead = .globalMax) -> CharCNNConfiguration {
        var c = CharCNNConfiguration.small(alphabetSize: 9, length: 140, classes: 3)
        c.features = 6
        c.hiddenUnits = 5
        c.dropout = 0
        c.batchNorm = batchNorm
        c.head = head
        c.activation = ActivationPlan(activation, layers: sites, sharing: .channel)
        return c
    }

    @Test func layersAndSites() {
        let c = Self.configuration(.convReLU, sites: [1, 2, 6, 7], batchNorm: true)
        #expect(c.problems.isEmpty)
        #expect(c.siteCount == 7)
        #expect(c.flattenedFeatures == 6)
        let names = CharCNN(c).parameters.map { "\($0.name) \($0.parameter.value.shape)" }
        #expect(names.contains("fc1.weight [5, 6]") && names.contains("fc2.weight [3, 5]"))
        #expect(names.contains("act6.theta [6]") && names.contains("act7.theta [5]"))
        #expect(!names.contains { $0.hasPrefix("fc3.") || $0.hasPrefix("bn8.") })
        var eight = c
        eight.activation.layers = [8]
        #expect(eight.problems == [CharCNNConfiguration.Problem(field: .placement, message: "8 is not a site 1...7")])
    }

    /// The max-and-mean head feeds twice the features to fc1; site 6's activation runs before the pool.
    @Test func maxMeanLayersAndSites() {
        let c = Self.configuration(.convReLU, sites: [1, 2, 6, 7], batchNorm: true, head: .globalMaxMean)
        #expect(c.problems.isEmpty && c.siteCount == 7 && c.flattenedFeatures == 12)
        let names = CharCNN(c).parameters.map { "\($0.name) \($0.parameter.value.shape)" }
        #expect(names.contains("fc1.weight [5, 12]") && names.contains("fc2.weight [3, 5]"))
        #expect(names.contains { $0.hasPrefix("act6.theta") })
    }

    @Test(arguments: [(Activation.convReLU, true, CharCNNHead.globalMax), (.relu, false, .globalMax), (.prelu, true, .globalMax),
                      (.convReLU, true, .globalMaxMean), (.relu, false, .globalMaxMean)])
    func backwardMatchesFiniteDifferenceAlongTheGradient(activation: Activation, batchNorm: Bool, head: CharCNNHead) {
        let c = Self.configuration(activation, sites: Array(1...7), batchNorm: batchNorm, head: head)
        var rng = RNG(seed: 21, stream: activation.rawValue)
        checkAlongTheGradient(CharCNN(c), targets: [0, 2, 1], classes: 3, rng: &rng, name: "\(head), \(activation)") { rng in
            let x = Tensor(shape: [3, c.length])
            for i in 0..<x.count { x[i] = rng.bernoulli(0.15) ? -1 : Float(rng.int(below: c.alphabetSize)) }
            return x
        }
    }
}
