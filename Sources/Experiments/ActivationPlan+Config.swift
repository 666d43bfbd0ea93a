import Kernels
import Models

extension ActivationPlan {
    /// Reads `activation`, `placement`, `leaky_slope` and `sharing` of a `model` section. A
    /// network without blocks (`layered`: the char-CNN) also takes a list of its site numbers
    /// as `placement`.
    init(reading model: ConfigObject, layered: Bool) throws {
        let activation: Activation = try model.choice("activation", default: .relu)
        var placement = Placement.paper
        var layers: [Int]?
        if layered && model.isList("placement") {
            layers = try model.ints("placement")
        } else {
            placement = try model.choice("placement", default: .paper)
        }
        let sharing: ParameterSharing = try model.choice("sharing", default: .layer)
        if !layered && sharing == .element {
            throw model.error("sharing", "image networks share PReLU slopes and AdaReLU thresholds per 'layer' or per 'channel'")
        }
        self.init(activation, placement: placement, layers: layers,
                  leakySlope: Float(try model.double("leaky_slope", default: 0.01, range: -10...10)), sharing: sharing)
    }
}
