import Tensor

/// A seeded sample of `count` of `indices` that keeps the classes' proportions (largest
/// remainder, so the per-class counts add up to `count`; every class present gets at least one
/// when `count` allows). Returned sorted. Taking the first rows instead would keep one class
/// of a corpus stored class by class, as MR is.
package func stratifiedSample(_ indices: [Int], count: Int, label: (Int) -> Int, rng: inout RNG) -> [Int] {
    guard count < indices.count else { return indices.sorted() }
    var byClass: [Int: [Int]] = [:]
    for i in indices { byClass[label(i), default: []].append(i) }
    let classes = byClass.keys.sorted()
    let quotas = classes.map { Double(count) * Double(byClass[$0]!.count) / Double(indices.count) }
    var take = quotas.map { Int($0) }
    if count >= classes.count { take = take.map { max($0, 1) } }
    let byRemainder = classes.indices.sorted { quotas[$0] - quotas[$0].rounded(.down) > quotas[$1] - quotas[$1].rounded(.down) }
    var k = 0
    while take.reduce(0, +) < count {
        let c = byRemainder[k % classes.count]
        if take[c] < byClass[classes[c]]!.count { take[c] += 1 }
        k += 1
    }
    while take.reduce(0, +) > count, let c = take.indices.max(by: { take[$0] < take[$1] }) { take[c] -= 1 }
    var sample: [Int] = []
    for (c, label) in classes.enumerated() {
        var members = byClass[label]!
        rng.shuffle(&members)
        sample += members.prefix(take[c])
    }
    return sample.sorted()
}
