import Foundation

/// Student's t distribution with ν degrees of freedom, for the paired t test of `convrelu cv
/// --compare`. Written out here rather than taken from a statistics package: these two
/// functions are all the comparison needs.
struct StudentT {
    let degreesOfFreedom: Double

    init(degreesOfFreedom: Int) {
        precondition(degreesOfFreedom >= 1, "StudentT: \(degreesOfFreedom) degrees of freedom")
        self.degreesOfFreedom = Double(degreesOfFreedom)
    }

    /// P(|T| ≥ |t|) = I_x(ν/2, 1/2) with x = ν / (ν + t²): computed directly rather than as
    /// 2(1 − cdf), which loses the small p-values to cancellation.
    func twoSidedTail(_ t: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        let nu = degreesOfFreedom
        return regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
    }

    /// P(T ≤ t).
    func cdf(_ t: Double) -> Double {
        let half = twoSidedTail(t) / 2
        return t >= 0 ? 1 - half : half
    }

    /// The t with P(T ≤ t) = p, 0 < p < 1: bisection on the CDF, which is monotone, after
    /// doubling an upper bound until it brackets p (ν = 1 needs 636.6 for p = 0.9995).
    func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "StudentT.quantile: p = \(p) is outside (0, 1)")
        if p < 0.5 { return -quantile(1 - p) }
        if p == 0.5 { return 0 }
        var high = 1.0
        while cdf(high) < p { high *= 2 }
        var low = 0.0
        for _ in 0..<200 where high - low > 1e-13 * high {
            let middle = (low + high) / 2
            if cdf(middle) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// I_x(a, b), the regularized incomplete beta function, by its continued fraction (evaluated
/// with Lentz's method), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction
/// converges slowly (Numerical Recipes, §6.4).
func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
    if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x, a: a, b: b) / a }
    return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
}

private func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    func nonzero(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
    var c = 1.0
    var d = 1 / nonzero(1 - (a + b) * x / (a + 1))
    var fraction = d
    for m in 1...500 {
        let m = Double(m)
        // Even step, then odd step, of the fraction's terms.
        let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 / nonzero(1 + even * d)
        c = nonzero(1 + even / c)
        fraction *= d * c
        let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 / nonzero(1 + odd * d)
        c = nonzero(1 + odd / c)
        let change = d * c
        fraction *= change
        if abs(change - 1) < 1e-15 { break }
    }
    return fraction
}
