import Foundation

/// Learning rate as a function of progress.
package enum LearningRateSchedule: Sendable, Equatable {
    case constant(rate: Float)
    /// `rate`, multiplied by `factor` at each epoch in `milestones` (e.g. 0.1, ×0.1 at 150 and 250).
    case multiStep(rate: Float, milestones: [Int], factor: Float)
    /// `rate`, halved every `steps` optimiser steps, at most `times` times (Zhang et al.:
    /// every 3 epochs, 10 times).
    case halving(rate: Float, steps: Int, times: Int)
    /// Linear warm-up from rate/warmupSteps to `rate` over `warmupSteps` steps, then a cosine
    /// decay to 0 at `totalSteps` (Loshchilov & Hutter's SGDR without restarts).
    case cosine(rate: Float, warmupSteps: Int, totalSteps: Int)
    /// The same warm-up, then a linear decay to 0 at `totalSteps`.
    case linear(rate: Float, warmupSteps: Int, totalSteps: Int)

    /// The rate for an update made during `epoch` (0-based) at global `step` (0-based).
    package func rate(epoch: Int, step: Int) -> Float {
        switch self {
        case .constant(let r):
            return r
        case .multiStep(let r, let milestones, let factor):
            return milestones.filter { epoch >= $0 }.reduce(r) { rate, _ in rate * factor }
        case .halving(let r, let steps, let times):
            let halvings = min(times, steps > 0 ? step / steps : 0)
            return r / Float(1 << halvings)
        case .cosine(let r, let warmup, let total):
            if step < warmup { return r * Float(step + 1) / Float(warmup) }
            return r * 0.5 * (1 + Float(cos(Double.pi * LearningRateSchedule.decayProgress(step, warmup, total))))
        case .linear(let r, let warmup, let total):
            if step < warmup { return r * Float(step + 1) / Float(warmup) }
            return r * Float(1 - LearningRateSchedule.decayProgress(step, warmup, total))
        }
    }

    /// How far `step` is through the decay that follows the warm-up, in [0, 1].
    private static func decayProgress(_ step: Int, _ warmup: Int, _ total: Int) -> Double {
        min(1, Double(step - warmup) / Double(max(total - warmup, 1)))
    }
}
