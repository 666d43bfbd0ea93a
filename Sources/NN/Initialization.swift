import Tensor

/// Weight initialisation schemes. Fan-in and fan-out count the receptive field
/// (in · k for a convolution), as in PyTorch.
public enum Initializer: Sendable, Equatable, Codable {
    /// N(0, std²), Zhang et al. use std 0.05 (small model) or 0.02 (large).
    case gaussian(std: Double)
    /// He/Kaiming normal for ReLU nets: N(0, 2/fan_in).
    case heNormal
    /// Glorot/Xavier uniform: U(±√(6/(fan_in+fan_out))).
    case glorotUniform
    /// PyTorch's default for Linear and Conv: U(±1/√fan_in).
    case uniformFanIn
    case zeros

    public func fill(_ t: Tensor, fanIn: Int, fanOut: Int, rng: inout RNG) {
        let p = t.pointer
        switch self {
        case .gaussian(let std):
            for i in 0..<t.count { p[i] = Float(rng.normal() * std) }
        case .heNormal:
            let std = (2.0 / Double(max(fanIn, 1))).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.normal() * std) }
        case .glorotUniform:
            let bound = (6.0 / Double(max(fanIn + fanOut, 1))).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.uniform(-bound, bound)) }
        case .uniformFanIn:
            let bound = 1 / Double(max(fanIn, 1)).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.uniform(-bound, bound)) }
        case .zeros:
            t.zero()
        }
    }
}
