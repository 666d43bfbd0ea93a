/// y = a + b elementwise. A residual block uses it both ways: forward adds the shortcut to the
/// main path, and backward adds the two paths' input gradients, since the gradient of a sum
/// reaches each term unchanged. `y` may alias `a` or `b`.
@inlinable
public func addElementwise<T: BLASFloat>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count: Int,
                                         into y: UnsafeMutablePointer<T>) {
    for i in 0..<count { y[i] = a[i] + b[i] }
}
