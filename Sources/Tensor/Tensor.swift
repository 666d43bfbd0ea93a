/// A contiguous, row-major Float32 array with a shape (NCL / NCHW by convention).
///
/// Storage is 64-byte aligned and owned by the tensor. `resize(to:)` keeps the allocation when
/// it is large enough, so layers can hold their output and gradient tensors across steps and a
/// training step allocates nothing once the first step has sized the buffers.
public final class Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var capacity: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>

    public init(shape: [Int], repeating value: Float = 0) {
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.count = count
        self.capacity = max(count, 1)
        self.pointer = Tensor.allocate(self.capacity)
        pointer.initialize(repeating: value, count: self.capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == Tensor.elementCount(shape),
                     "Tensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// An empty tensor, to be sized by its first `resize(to:)`.
    public convenience init() { self.init(shape: [0]) }

    deinit { pointer.deallocate() }

    public static func elementCount(_ shape: [Int]) -> Int {
        guard let count = checkedElementCount(shape) else {
            preconditionFailure("Tensor: negative dimension or element count beyond Int in \(shape)")
        }
        return count
    }

    /// The element count of `shape`, or nil when a dimension is negative or the product
    /// overflows `Int`: shapes read from files go through this, so a hostile one is an error
    /// for the reader to report rather than a trap.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
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
    public func resize(to shape: [Int]) {
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

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Float] { Array(buffer) }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
    public func zero() { fill(0) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "Tensor: copy of \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    public func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.copy(from: self)
        return t
    }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// Size of dimension `axis`; negative axes count from the end.
    public func dim(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }
}
