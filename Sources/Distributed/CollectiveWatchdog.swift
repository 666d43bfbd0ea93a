import CMPIShim
import Foundation

/// Ends the job when a collective has waited longer than `timeout` seconds.
///
/// A rank that dies is noticed by mpirun, which ends the others; a rank that hangs, or that
/// never reaches a collective the others wait in (a bug, a stalled file system, a config that
/// takes another path), is not: MPI collectives have no time limit. A thread checks the
/// collectives in flight once a second and, past the limit, prints which rank waited in which
/// collective and for how long, then calls MPI_Abort, which ends every rank.
final class CollectiveWatchdog: @unchecked Sendable {
    private let rank: Int
    private let size: Int
    private let timeout: Double
    private let lock = NSLock()
    private var running: [Int: (what: String, since: Date)] = [:]
    private var next = 0
    private var stopped = false

    init(rank: Int, size: Int, timeout: Double) {
        self.rank = rank
        self.size = size
        self.timeout = timeout
        let thread = Thread { [weak self] in
            while let self, self.check() { Thread.sleep(forTimeInterval: min(1, timeout / 4)) }
        }
        thread.name = "collective watchdog"
        thread.start()
    }

    func begin(_ what: String) -> Int {
        lock.withLock {
            next += 1
            running[next] = (what, Date())
            return next
        }
    }

    func end(_ ticket: Int) {
        lock.withLock { _ = running.removeValue(forKey: ticket) }
    }

    func stop() {
        lock.withLock { stopped = true }
    }

    /// False once stopped; aborts the job when a collective is over time.
    private func check() -> Bool {
        let overdue: (what: String, since: Date)? = lock.withLock {
            stopped ? nil : running.values.first { Date().timeIntervalSince($0.since) > timeout }
        }
        if let overdue {
            let message = String(format: "convrelu: error: rank %d/%d waited %.0f s in %@ for the other ranks (the limit is %@=%g s): "
                                 + "another rank has stopped, hangs or took another path; ending the job. "
                                 + "The run folder keeps its last finished epoch.\n",
                                 rank, size, Date().timeIntervalSince(overdue.since), overdue.what,
                                 Communicator.timeoutVariable, timeout)
            FileHandle.standardError.write(Data(message.utf8))
            mpishim_abort(3)
        }
        return lock.withLock { !stopped }
    }
}
