import Tensor
import TestSupport
import Testing

/// The comparison every parity test relies on must itself tell wrong results from right ones.
@Suite struct MismatchTests {
    static let values: [Float] = [1, 2, 3, 4, 5, 6]

    @Test func sameValuesInAnotherShapeAreAMismatch() {
        let actual = Tensor(shape: [2, 3], values: Self.values)
        #expect(mismatch(actual, Tensor(shape: [3, 2], values: Self.values), Fixtures.layerTolerance, "y")
            == "y: shape [2, 3], expected [3, 2]")
        #expect(mismatch(actual, Tensor(shape: [1, 2, 3], values: Self.values), Fixtures.layerTolerance, "y")
            == "y: shape [2, 3], expected [1, 2, 3]")
        #expect(mismatch(Tensor(shape: [6], values: Self.values), actual, Fixtures.layerTolerance, "dw")
            == "dw: shape [6], expected [2, 3]")
    }

    @Test func sameShapeComparesValuesWithinTolerance() {
        let expected = Tensor(shape: [2, 3], values: Self.values)
        #expect(mismatch(Tensor(shape: [2, 3], values: Self.values.map { $0 * (1 + 5e-5) }), expected,
                         Fixtures.layerTolerance, "y") == nil)
        var off = Self.values
        off[4] = 5.01
        #expect(mismatch(Tensor(shape: [2, 3], values: off), expected, Fixtures.layerTolerance, "y")
            == "y[4] = 5.01, expected 5.0 (of 6)")
        off[1] = .nan
        #expect(mismatch(Tensor(shape: [2, 3], values: off), expected, Fixtures.layerTolerance, "y")
            == "y[1] = nan, expected 2.0 (of 6)")
    }
}
