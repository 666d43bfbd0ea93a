/// A contiguous, row-major Float32 array with a shape (NCL / NCHW by convention).
///
/// Storage is 64-byte aligned and owned by the tensor. `resize(to:)` keeps the allocation when
/// it is large enough, so layers can hold their output and gradient tensors across steps and a
/// training step allocates nothing once the first step has sized the buffers.
package final class Tensor: @unchecked Sendable {
    package private(set) var shape: [Int]
    package private(set) var count: Int
    package private(set) var capacity: Int
    package private(set) var pointer: UnsafeMutablePointer<Float>

    package init(shape: [Int], repeating value: Float = 0) {
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.count = count
        self.capacity = max(count, 1)
        self.pointer = Tensor.allocate(self.capacity)
        pointer.initialize(repeating: value, count: self.capacity)
    }

    package convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == Tensor.elementCount(shape),
                     "Tensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// An empty tensor, to be sized by its first `resize(to:)`.
    package convenience init() { self.init(shape: [0]) }

    deinit { pointer.deallocate() }

    static func elementCount(_ shape: [Int]) -> Int {
        guard let count = checkedElementCount(shape) else {
            preconditionFailure("Tensor: negative dimension or element count beyond Int in \(shape)")
        }
        return count
    }

    /// The element count of `shape`, or nil when a dimension is negative or the product
    /// overflows `Int`: shapes read from files go through this, so a hostile one is an error
    /// for the reader to report rather than a trap.
    static func checkedElementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// Gives the tensor a new shape. The contents are unspecified unless the count is unchanged.
    /// Storage grows when needed and is never shrunk, so a reused tensor stops allocating.
    package func resize(to shape: [Int]) {
        let newCount = Tensor.elementCount(shape)
        if newCount > capacity {
            pointer.deallocate()
            capacity = newCount
            pointer = Tensor.allocate(newCount)
            pointer.initialize(repeating: 0, count: newCount)
        }
        self.shape = shape
        self.count = newCount
    }

    package var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    package var array: [Float] { Array(buffer) }

    package func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
    package func zero() { fill(0) }

    package func copy(from other: Tensor) {
        precondition(other.count == count, "Tensor: copy of \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    package func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.copy(from: self)
        return t
    }

    package subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// Size of dimension `axis`; negative axes count from the end.
    package func dim(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }
}
