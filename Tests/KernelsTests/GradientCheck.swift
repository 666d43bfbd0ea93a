import Kernels
import Tensor
import TestSupport

/// Finite-difference gradient checking in Float64.
///
/// The scalar checked is L = Σ r·y for a fixed random r, so backward gets dy = r. Each input
/// element is moved by ±h and the central difference compared with the analytic gradient.
/// Inputs are drawn from a continuous distribution, so no element sits within h of a kink of
/// max/ReLU/pooling (a tie would make the difference meaningless).
struct GradientCheck {
    typealias Values = [String: [Double]]
    var inputs: Values
    /// Names of the inputs whose gradients backward returns (and the check verifies).
    var differentiable: [String]
    var forward: (Values) -> [Double]
    var backward: (Values, [Double]) -> Values
    var step = 1e-6
    var tolerance = Tolerance(absolute: 1e-6, relative: 1e-5)

    /// Mismatch messages; empty when every gradient agrees.
    func run(seed: UInt64 = 7) -> [String] {
        var rng = RNG(seed: seed, stream: "gradient-check")
        let y = forward(inputs)
        let r = y.map { _ in rng.normal() }
        let analytic = backward(inputs, r)
        var problems: [String] = []
        for name in differentiable {
            guard let a = analytic[name] else { problems.append("\(name): no gradient returned"); continue }
            var numeric = [Double](repeating: 0, count: inputs[name]!.count)
            for i in numeric.indices {
                var plus = inputs, minus = inputs
                plus[name]![i] += step
                minus[name]![i] -= step
                let lp = zip(forward(plus), r).reduce(0) { $0 + $1.0 * $1.1 }
                let lm = zip(forward(minus), r).reduce(0) { $0 + $1.0 * $1.1 }
                numeric[i] = (lp - lm) / (2 * step)
            }
            if let m = mismatch(a, numeric, tolerance, "d\(name)") { problems.append(m) }
        }
        return problems
    }
}

func randomValues(_ count: Int, _ rng: inout RNG, scale: Double = 1) -> [Double] {
    (0..<count).map { _ in rng.normal() * scale }
}

/// Mutable pointer access to several arrays at once, for calling kernels in tests.
func withPointers<R>(_ a: inout [Double], _ body: (UnsafeMutablePointer<Double>) -> R) -> R {
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

extension Optional {
    /// A pointer to an optional array's elements, nil for none, for kernels' optional inputs.
    func withOptionalPointer<Element, R>(_ body: (UnsafePointer<Element>?) -> R) -> R where Wrapped == [Element] {
        switch self {
        case .some(let a): a.withUnsafeBufferPointer { body($0.baseAddress!) }
        case .none: body(nil)
        }
    }
}
