import CMPIShim
import Foundation

package struct CommunicatorError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The ranks of one job and the collectives the trainer needs: sums, broadcasts and barriers.
///
/// `world` is Open MPI's MPI_COMM_WORLD when the process was started by mpirun and a single
/// rank otherwise, whose collectives return at once: every caller runs the same code with one
/// process or many, and a run without mpirun never loads libmpi (see CMPIShim).
///
/// Open MPI has no time limit on a collective: a rank whose peer hangs waits for ever. Every
/// collective here therefore runs under `CollectiveWatchdog`, which ends the whole job with a
/// message naming the rank and the collective once one has waited `timeout` seconds.
package final class Communicator: @unchecked Sendable {
    package let rank: Int
    package let size: Int
    private let usesMPI: Bool
    /// Which of the shim's communicators: 0 is MPI_COMM_WORLD, others are copies of it.
    private let channel: Int32
    private let watchdog: CollectiveWatchdog?

    /// A single process: rank 0 of 1.
    package static let solo = Communicator(rank: 0, size: 1, usesMPI: false, channel: 0, watchdog: nil)

    /// The job this process belongs to, set up on first use.
    package static var world: Communicator {
        get throws { try worldResult.get() }
    }

    private static let worldResult: Result<Communicator, CommunicatorError> = {
        guard mpishim_started_by_mpirun() != 0 else { return .success(.solo) }
        var error = [CChar](repeating: 0, count: 512)
        guard mpishim_initialize(&error, error.count) == 0 else {
            return .failure(CommunicatorError(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        let timeout = ProcessInfo.processInfo.environment[timeoutVariable].flatMap(Double.init) ?? defaultTimeout
        let (rank, size) = (Int(mpishim_rank()), Int(mpishim_size()))
        return .success(Communicator(rank: rank, size: size, usesMPI: true, channel: 0,
                                     watchdog: CollectiveWatchdog(rank: rank, size: size, timeout: timeout)))
    }()

    /// The environment variable that sets the time limit of a collective, in seconds.
    package static let timeoutVariable = "CONVRELU_MPI_TIMEOUT"
    package static let defaultTimeout = 300.0

    private init(rank: Int, size: Int, usesMPI: Bool, channel: Int32, watchdog: CollectiveWatchdog?) {
        self.rank = rank
        self.size = size
        self.usesMPI = usesMPI
        self.channel = channel
        self.watchdog = watchdog
    }

    /// The same ranks on a communicator of their own, for collectives another thread issues
    /// while this one may issue its own: every rank must call one communicator's collectives
    /// in one order. A collective itself: every rank creates its copies in the same order.
    package func duplicate() -> Communicator {
        guard usesMPI else { return self }
        let copy = mpishim_duplicate_world()
        precondition(copy > 0, "Communicator: MPI_Comm_dup failed")
        return Communicator(rank: rank, size: size, usesMPI: true, channel: copy, watchdog: watchdog)
    }

    /// Whether this rank writes files and progress (rank 0).
    package var isLeader: Bool { rank == 0 }
    package var isDistributed: Bool { size > 1 }

    /// "rank 1/4 " in messages of a job of several ranks, "" otherwise.
    package var label: String { isDistributed ? "rank \(rank)/\(size) " : "" }

    /// "Open MPI v4.1.4, ..." under mpirun.
    package var libraryVersion: String? {
        usesMPI ? String(cString: mpishim_library_version()).split(separator: ",").first.map(String.init) : nil
    }

    /// Sums `count` floats at `data` over all ranks, in place.
    package func sum(_ data: UnsafeMutablePointer<Float>, count: Int, _ what: @autoclosure () -> String) {
        guard isDistributed else { return }
        run(what()) { mpishim_allreduce_sum_float(channel, data, count) }
    }

    /// Sums `values` over all ranks.
    package func sum(_ values: [Double], _ what: @autoclosure () -> String) -> [Double] {
        guard isDistributed else { return values }
        var values = values
        run(what()) { mpishim_allreduce_sum_double(channel, &values, values.count) }
        return values
    }

    /// The element-wise maximum of `values` over all ranks.
    package func maximum(_ values: [Double], _ what: @autoclosure () -> String) -> [Double] {
        guard isDistributed else { return values }
        var values = values
        run(what()) { mpishim_allreduce_max_double(channel, &values, values.count) }
        return values
    }

    /// Copies `bytes` bytes at `data` from rank `root` to every rank.
    package func broadcast(_ data: UnsafeMutableRawPointer, bytes: Int, root: Int = 0, _ what: @autoclosure () -> String) {
        guard isDistributed else { return }
        run(what()) { mpishim_broadcast(channel, data, bytes, Int32(root)) }
    }

    /// Rank `root`'s text on every rank.
    package func broadcast(_ text: String, root: Int = 0, _ what: @autoclosure () -> String) -> String {
        guard isDistributed else { return text }
        var bytes = Array(text.utf8)
        var length = [Double(bytes.count)]
        length.withUnsafeMutableBytes { broadcast($0.baseAddress!, bytes: $0.count, root: root, what()) }
        bytes = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        bytes.withUnsafeMutableBytes { if $0.count > 0 { broadcast($0.baseAddress!, bytes: $0.count, root: root, what()) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for every rank. `timed: false` for a wait that may rightly last long, such as
    /// for rank 0 preparing the data the others then read from its cache.
    package func barrier(_ what: @autoclosure () -> String, timed: Bool = true) {
        guard isDistributed else { return }
        run(what(), timed: timed) { mpishim_barrier(channel) }
    }

    /// Ends MPI at the end of a successful command.
    package func finish() {
        guard usesMPI else { return }
        watchdog?.stop()
        _ = mpishim_finalize()
    }

    /// Ends every rank of the job after an error on this one (a rank that exits alone would
    /// leave the others waiting in their next collective until mpirun notices).
    package func abort(code: Int32) -> Never {
        if usesMPI { mpishim_abort(code) }
        exit(code)
    }

    private func run(_ what: String, timed: Bool = true, _ call: () -> Int32) {
        let ticket = timed ? watchdog?.begin(what) : nil
        let rc = call()
        if let ticket { watchdog?.end(ticket) }
        // Open MPI's default error handler aborts the job on failure: this is a safeguard.
        if rc != 0 {
            FileHandle.standardError.write(Data("convrelu: error: \(label)\(what) failed with MPI error \(rc)\n".utf8))
            abort(code: 1)
        }
    }
}
