/// One of `count` processes sharing a sweep folder (`--shard index/count`, 1-based as written on
/// the command line): it runs the jobs whose position k in the sweep's job list has
/// k % count == index - 1, so shards started with the same arguments split the jobs between
/// them without talking to each other.
struct Shard: Equatable, Sendable, CustomStringConvertible {
    var index: Int
    var count: Int

    /// The whole sweep in one process.
    static let whole = Shard(index: 1, count: 1)

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses "i/n" with 1 ≤ i ≤ n.
    init(parsing spec: String) throws {
        let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw SweepError("--shard '\(spec)': expected i/n, this process's number and the number of processes, e.g. 2/3")
        }
        guard n >= 1 else { throw SweepError("--shard '\(spec)': the number of processes must be at least 1") }
        guard (1...n).contains(i) else { throw SweepError("--shard '\(spec)': the shard number must be 1-\(n) (1-based, e.g. 1/\(n) … \(n)/\(n))") }
        self.init(index: i, count: n)
    }

    func owns(jobAt position: Int) -> Bool { position % count == index - 1 }

    var description: String { "\(index)/\(count)" }
}
