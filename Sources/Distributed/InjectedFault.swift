import Foundation

/// A failure the MPI tests provoke on purpose, from `CONVRELU_MPI_FAULT=<kind>:<rank>`: that rank
/// hangs (`stall`) or is killed (`die`) as its second epoch starts, after the first checkpoint.
/// The tests check that the others then end with a clear message instead of waiting for ever,
/// and that the run folder keeps its first epoch. Nothing sets it outside the tests.
package enum InjectedFault: String, Sendable {
    case stall, die

    package static let variable = "CONVRELU_MPI_FAULT"

    /// Strikes if the environment asks for a fault on `rank` and the epoch about to start is the second.
    package static func strikeIfRequested(rank: Int, epoch: Int) {
        guard epoch == 1, let spec = ProcessInfo.processInfo.environment[variable] else { return }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let fault = InjectedFault(rawValue: String(parts[0])), Int(parts[1]) == rank else { return }
        switch fault {
        case .stall: Thread.sleep(forTimeInterval: 3600)
        case .die: kill(getpid(), SIGKILL)
        }
    }
}
