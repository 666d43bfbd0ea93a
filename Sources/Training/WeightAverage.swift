import NN
import Tensor

/// An exponential moving average of the parameters (Polyak–Ruppert averaging as in
/// `torch.optim.swa_utils.AveragedModel` with an EMA): after every optimiser step
/// a ← d·a + (1 − d)·p, with d ramped up as min(d, (1 + t)/(10 + t)) so the first steps do not
/// leave the average stuck near the initial weights. The averaged weights move less from step
/// to step than the trained ones, which on a small corpus is worth about as much as a
/// smaller learning rate at the end, without slowing training.
package final class WeightAverage {
    package let decay: Float
    private var average: [String: Tensor] = [:]
    /// Whether the parameters hold the average (and `average` the trained weights) right now.
    package private(set) var exchanged = false

    package init(decay: Float) {
        precondition(decay > 0 && decay < 1, "WeightAverage: decay \(decay) outside (0, 1)")
        self.decay = decay
    }

    /// Starts the average at the current weights (for parameters that have none yet).
    package func prepare(_ parameters: [NamedParameter]) {
        for p in parameters where average[p.name] == nil { average[p.name] = p.parameter.value.clone() }
    }

    /// Folds the weights after optimiser step `step` (0-based) into the average.
    package func update(_ parameters: [NamedParameter], step: Int) {
        precondition(!exchanged, "WeightAverage: update while the parameters hold the average")
        prepare(parameters)
        let d = min(decay, Float(1 + step) / Float(10 + step))
        for entry in parameters {
            let a = average[entry.name]!.pointer, p = entry.parameter.value.pointer
            for i in 0..<entry.parameter.count { a[i] = d * a[i] + (1 - d) * p[i] }
        }
    }

    /// Swaps the parameters' values with the average: call once to evaluate or save the
    /// averaged model, and again to continue training.
    package func exchange(_ parameters: [NamedParameter]) {
        prepare(parameters)
        for entry in parameters {
            let a = average[entry.name]!.pointer, p = entry.parameter.value.pointer
            for i in 0..<entry.parameter.count { (a[i], p[i]) = (p[i], a[i]) }
        }
        exchanged.toggle()
    }

    /// What the training state stores while the checkpoint holds the averaged model: the
    /// trained weights, under "training.<parameter>". Valid while exchanged.
    package var trainedWeights: [NamedBuffer] {
        precondition(exchanged, "WeightAverage: the trained weights are in the parameters")
        return average.keys.sorted().map { NamedBuffer("training.\($0)", average[$0]!) }
    }
}
