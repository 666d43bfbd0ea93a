/// Softmax cross-entropy with mean reduction over the batch: logits (N, K), integer targets.
/// Writes the softmax probabilities into `probabilities` and dLoss/dlogits into `dLogits`
/// (if given); returns the loss. Computed with the max subtracted, so large logits are safe.
@inlinable
public func softmaxCrossEntropy<T: BLASFloat>(logits: UnsafePointer<T>, targets: UnsafePointer<Int32>,
                                              batch: Int, classes: Int,
                                              probabilities: UnsafeMutablePointer<T>,
                                              dLogits: UnsafeMutablePointer<T>?, labelSmoothing: T = 0) -> T {
    // With label smoothing ε the target distribution is q = (1 − ε)·onehot + ε/K, as in
    // torch.nn.CrossEntropyLoss(label_smoothing=ε): loss −Σ q log p, gradient (p − q) / N.
    let offTarget = labelSmoothing / T(classes), onTarget = 1 - labelSmoothing + labelSmoothing / T(classes)
    var loss: T = 0
    for n in 0..<batch {
        let z = logits + n * classes, p = probabilities + n * classes
        softmax(z, classes: classes, into: p)
        let t = Int(targets[n])
        precondition(t >= 0 && t < classes, "softmaxCrossEntropy: target \(t) outside 0..<\(classes)")
        for k in 0..<classes {
            let q = k == t ? onTarget : offTarget
            if q != 0 { loss -= q * T.log(max(p[k], T.leastNormalMagnitude)) }
        }
        if let dLogits {
            let d = dLogits + n * classes
            for k in 0..<classes { d[k] = (p[k] - (k == t ? onTarget : offTarget)) / T(batch) }
        }
    }
    return loss / T(batch)
}

/// Softmax of one row of logits.
@inlinable
public func softmax<T: BLASFloat>(_ z: UnsafePointer<T>, classes: Int, into p: UnsafeMutablePointer<T>) {
    var top = -T.infinity
    for k in 0..<classes { top = max(top, z[k]) }
    var sum: T = 0
    for k in 0..<classes {
        p[k] = T.exp(z[k] - top)
        sum += p[k]
    }
    for k in 0..<classes { p[k] /= sum }
}
