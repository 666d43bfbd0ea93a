/// Learning rate as a function of progress.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant(rate: Float)
    /// `rate`, multiplied by `factor` at each epoch in `milestones` (e.g. 0.1, ×0.1 at 150 and 250).
    case multiStep(rate: Float, milestones: [Int], factor: Float)
    /// `rate`, halved every `steps` optimiser steps, at most `times` times (Zhang et al.:
    /// every 3 epochs, 10 times).
    case halving(rate: Float, steps: Int, times: Int)

    /// The rate for an update made during `epoch` (0-based) at global `step` (0-based).
    public func rate(epoch: Int, step: Int) -> Float {
        switch self {
        case .constant(let r):
            return r
        case .multiStep(let r, let milestones, let factor):
            return milestones.filter { epoch >= $0 }.reduce(r) { rate, _ in rate * factor }
        case .halving(let r, let steps, let times):
            let halvings = min(times, steps > 0 ? step / steps : 0)
            return r / Float(1 << halvings)
        }
    }
}
