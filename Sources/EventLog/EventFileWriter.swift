import Foundation

/// Appends TensorBoard events to `events.out.tfevents.<unix seconds>.<host>` in a run folder:
/// scalars and histograms under a tag and a step, each event one framed record written with
/// one `write` as soon as it is added, so TensorBoard sees a run as it trains and a crash loses
/// no record already added. The first record is the file-version event TensorBoard expects.
package final class EventFileWriter {
    package let path: String
    private let descriptor: Int32

    package init(folder: String, now: Date = Date()) throws {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let stem = "\(folder)/events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host)"
        // A second writer within the same second (a quick resume) gets a file of its own.
        var path = stem, copy = 0
        while FileManager.default.fileExists(atPath: path) {
            copy += 1
            path = "\(stem).\(copy)"
        }
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw EventLogError(path: path, problem: String(cString: strerror(errno))) }
        var first = Tensorboard_Event()
        first.wallTime = now.timeIntervalSince1970
        first.fileVersion = "brain.Event:2"
        try write(first)
    }

    deinit { close(descriptor) }

    /// One event holding `scalars` (tag, value) at `step`.
    package func add(scalars: [(tag: String, value: Double)], step: Int, at time: Date = Date()) throws {
        try add(step: step, at: time, values: scalars.map { tag, value in
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        })
    }

    /// One event holding `histograms` (tag, histogram) at `step`.
    package func add(histograms: [(tag: String, histogram: Histogram)], step: Int, at time: Date = Date()) throws {
        try add(step: step, at: time, values: histograms.map { tag, h in
            var proto = Tensorboard_HistogramProto()
            (proto.min, proto.max, proto.num) = (h.min, h.max, Double(h.count))
            (proto.sum, proto.sumSquares) = (h.sum, h.sumOfSquares)
            (proto.bucketLimit, proto.bucket) = (h.upperEdges, h.counts)
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.histo = proto
            return v
        })
    }

    private func add(step: Int, at time: Date, values: [Tensorboard_Summary.Value]) throws {
        guard !values.isEmpty else { return }
        var event = Tensorboard_Event()
        event.wallTime = time.timeIntervalSince1970
        event.step = Int64(step)
        event.summary.value = values
        try write(event)
    }

    private func write(_ event: Tensorboard_Event) throws {
        let record = RecordFraming.frame(Array(try event.serializedBytes() as [UInt8]))
        try record.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw EventLogError(path: path, problem: String(cString: strerror(errno))) }
                done += n
            }
        }
    }

    /// The events of an event file, in order (for tests and tools; TensorBoard has its own reader).
    package static func events(in path: String) throws -> [Tensorboard_Event] {
        guard let data = FileManager.default.contents(atPath: path) else { throw EventLogError(path: path, problem: "cannot be read") }
        do {
            return try RecordFraming.records(in: Array(data)).map { try Tensorboard_Event(serializedBytes: $0) }
        } catch {
            throw EventLogError(path: path, problem: "\(error)")
        }
    }
}

package struct EventLogError: Error, CustomStringConvertible {
    package var path: String
    package var problem: String
    package var description: String { "\(path): \(problem)" }
}
