import Distributed
import Foundation
import NN
import Tensor

/// Averages the gradients of data-parallel ranks in buckets that can be sent while backward
/// runs, as PyTorch's DistributedDataParallel does (`overlaps`), or after it.
///
/// The parameters are packed, last layer first, into buckets of about `bucketCapacity` floats.
/// Backward reports each part of the network as its gradients complete (`layerFinished`);
/// once every parameter of the next bucket is complete, its gradients, weighted by this rank's
/// share of the global batch, are copied into the bucket and handed to a communication thread,
/// which sums the bucket over the ranks with MPI_Allreduce while this thread goes on with the
/// earlier layers. `finish` waits for the rest and writes the sums back as the gradients.
///
/// Buckets are sent strictly in order, so every rank calls the same collectives in the same
/// order, whatever its timing. A blocking MPI_Allreduce on its own thread, rather than
/// MPI_Iallreduce, because Open MPI progresses a non-blocking collective only inside MPI calls.
final class GradientSynchronizer: @unchecked Sendable {
    private struct Bucket {
        var parameters: [Int]
        var offsets: [Int]
        let buffer: Tensor
    }

    /// 1 MiB of floats: DenseNet-40's 1 M parameters make 4 buckets, the char-CNN's 11 M about 45.
    static let defaultBucketCapacity = 1 << 18

    private let communicator: Communicator
    private let parameters: [Parameter]
    private let buckets: [Bucket]
    private let bucketOfParameter: [Int]
    private let indexOfParameter: [ObjectIdentifier: Int]
    /// The parameter indices of each part of the network backward has reported.
    private var parametersOfLayer: [ObjectIdentifier: [Int]] = [:]
    private var pending: [Int] = []
    private var launched = 0
    private var weight: Float = 1
    /// Whether buckets go out during backward; false sends all of them after it.
    private let overlaps: Bool

    private let queue = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var queued: [Int] = []
    private var communicationSeconds = 0.0

    /// Time spent in allreduce on the communication thread, and time the training thread waited
    /// for it after backward, summed since the last `takeTimes`.
    struct Times {
        var communication = 0.0
        var exposed = 0.0
        var steps = 0
    }
    private var times = Times()

    init(parameters named: [NamedParameter], communicator: Communicator, bucketCapacity: Int = defaultBucketCapacity,
         overlaps: Bool) {
        // Its own communicator: synchronised batch norm sums on the training thread meanwhile.
        self.communicator = communicator.duplicate()
        self.overlaps = overlaps
        let parameters = named.map(\.parameter)
        self.parameters = parameters
        indexOfParameter = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { (ObjectIdentifier($1), $0) })
        var buckets: [Bucket] = [], current: [Int] = [], size = 0
        var bucketOf = [Int](repeating: 0, count: parameters.count)
        func close() {
            guard !current.isEmpty else { return }
            let offsets = current.reduce(into: [0]) { $0.append($0.last! + parameters[$1].count) }
            buckets.append(Bucket(parameters: current, offsets: offsets, buffer: Tensor(shape: [size])))
            current = []
            size = 0
        }
        // Registration order is forward order: backward completes the parameters in reverse.
        for p in parameters.indices.reversed() {
            if size > 0 && size + parameters[p].count > bucketCapacity { close() }
            bucketOf[p] = buckets.count
            current.append(p)
            size += parameters[p].count
        }
        close()
        self.buckets = buckets
        bucketOfParameter = bucketOf
        let thread = Thread { [unowned self] in self.communicate() }
        thread.name = "gradient allreduce"
        thread.start()
    }

    var bucketCount: Int { buckets.count }

    /// Starts a step whose local gradients are the mean over `localCount` of the global batch's
    /// `globalCount` samples: weighted by their share, the ranks' sums are the global mean.
    func begin(localCount: Int, globalCount: Int) {
        weight = Float(localCount) / Float(globalCount)
        pending = buckets.map(\.parameters.count)
        launched = 0
    }

    /// Backward has finished `layer`: its parameters' gradients are complete.
    func layerFinished(_ layer: Layer) {
        guard overlaps else { return }
        let owned = parametersOfLayer[ObjectIdentifier(layer)] ?? {
            let indices = layer.parameters.compactMap { indexOfParameter[ObjectIdentifier($0.parameter)] }
            parametersOfLayer[ObjectIdentifier(layer)] = indices
            return indices
        }()
        for p in owned { pending[bucketOfParameter[p]] -= 1 }
        while launched < buckets.count && pending[launched] <= 0 { launch() }
    }

    /// Sends what backward has not, waits for every bucket and makes the sums the gradients.
    func finish() {
        while launched < buckets.count { launch() }
        let started = Date()
        for _ in buckets { done.wait() }
        times.exposed += Date().timeIntervalSince(started)
        times.steps += 1
        for bucket in buckets {
            for (k, p) in bucket.parameters.enumerated() {
                let grad = parameters[p].grad
                grad.pointer.update(from: bucket.buffer.pointer + bucket.offsets[k], count: grad.count)
            }
        }
    }

    /// The times since the last call, and resets them.
    func takeTimes() -> Times {
        var t = times
        t.communication = lock.withLock { communicationSeconds }
        lock.withLock { communicationSeconds = 0 }
        times = Times()
        return t
    }

    private func launch() {
        let bucket = buckets[launched]
        for (k, p) in bucket.parameters.enumerated() {
            let grad = parameters[p].grad, from = grad.pointer, into = bucket.buffer.pointer + bucket.offsets[k], weight = weight
            for i in 0..<grad.count { into[i] = from[i] * weight }
        }
        lock.withLock { queued.append(launched) }
        launched += 1
        queue.signal()
    }

    private func communicate() {
        while true {
            queue.wait()
            let b = lock.withLock { queued.removeFirst() }
            let started = Date()
            communicator.sum(buckets[b].buffer.pointer, count: buckets[b].buffer.count, "allreduce of gradient bucket \(b + 1)/\(buckets.count)")
            let seconds = Date().timeIntervalSince(started)
            lock.withLock { communicationSeconds += seconds }
            done.signal()
        }
    }
}
