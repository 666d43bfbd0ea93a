import Foundation
import Tensor

/// The reference fixtures (PyTorch values in safetensors). The folder comes from
/// `CONVRELU_FIXTURES`, defaulting to `../shared/fixtures` beside the package, so other
/// fixtures of the same names can be dropped in.
package enum Fixtures {
    package static var folder: String {
        ProcessInfo.processInfo.environment["CONVRELU_FIXTURES"] ?? "../shared/fixtures"
    }

    package static func load(_ name: String) throws -> Safetensors {
        try Safetensors.read(path: "\(folder)/\(name).safetensors")
    }

    /// The fixture's `__metadata__.spec` as JSON.
    package static func spec(_ file: Safetensors) throws -> [String: Any] { try file.metadataJSON("spec") }

    /// Layer tolerance from the fixtures' README: |a-b| <= 1e-4 + 1e-4·|b|.
    package static let layerTolerance = Tolerance(absolute: 1e-4, relative: 1e-4)
    /// Whole-model tolerance: 1e-3 relative (with a small absolute floor for values near 0,
    /// scaled by the tensor's largest magnitude, since float32 accumulation order differs).
    package static let modelTolerance = Tolerance(absolute: 1e-3, relative: 1e-3, scaledAbsolute: true)

    /// Root of the real data sets, from `CONVRELU_DATA`, defaulting to `../shared/data`.
    package static var dataFolder: String {
        ProcessInfo.processInfo.environment["CONVRELU_DATA"] ?? "../shared/data"
    }
}

package struct Tolerance: Sendable {
    package var absolute: Double
    package var relative: Double
    /// Multiply `absolute` by the reference's largest magnitude (for whole-model tensors).
    package var scaledAbsolute = false

    package init(absolute: Double, relative: Double, scaledAbsolute: Bool = false) {
        self.absolute = absolute
        self.relative = relative
        self.scaledAbsolute = scaledAbsolute
    }
}

/// Compares `actual` with `expected` elementwise. Returns nil when every element is within
/// tolerance, or a message naming the worst element otherwise.
package func mismatch<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ actual: [A], _ expected: [B],
                                                                       _ tolerance: Tolerance, _ what: String) -> String? {
    guard actual.count == expected.count else { return "\(what): \(actual.count) values, expected \(expected.count)" }
    let scale = tolerance.scaledAbsolute ? max(expected.map { abs(Double($0)) }.max() ?? 0, 1e-12) : 1
    var worst: (index: Int, excess: Double)? = nil
    for i in actual.indices {
        let a = Double(actual[i]), b = Double(expected[i])
        let limit = tolerance.absolute * scale + tolerance.relative * abs(b)
        let excess = abs(a - b) - limit
        if !(excess <= 0), excess > (worst?.excess ?? -1) || a.isNaN { worst = (i, a.isNaN ? .infinity : excess) }
    }
    guard let worst else { return nil }
    return "\(what)[\(worst.index)] = \(actual[worst.index]), expected \(expected[worst.index]) (of \(actual.count))"
}

/// Compares `actual` with the reference tensor `expected`: the shapes first, since the right
/// values in another layout (a transposed weight, a lost axis) are a wrong result, then the
/// values as the array version does. Returns nil when they match, or a message otherwise.
package func mismatch(_ actual: Tensor, _ expected: Tensor, _ tolerance: Tolerance, _ what: String) -> String? {
    guard actual.shape == expected.shape else { return "\(what): shape \(actual.shape), expected \(expected.shape)" }
    return mismatch(actual.array, expected.array, tolerance, what)
}

/// Largest |a - b| / max(|b|, floor): a figure for reports.
package func maxRelativeError(_ actual: [Float], _ expected: [Float], floor: Float = 1e-6) -> Float {
    zip(actual, expected).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
}
