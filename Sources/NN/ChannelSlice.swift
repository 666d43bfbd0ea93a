import Tensor

/// Some channels of every sample of an (N, C, ...) tensor, read or written in place. A dense
/// block's layers read a channel prefix of the block's buffer and write their new channels
/// right after it, so the growing feature map is never copied: a slice's samples lie
/// `sampleStride` apart, the whole tensor's sample size.
package struct ChannelSlice {
    package let tensor: Tensor
    package let channels: Range<Int>

    /// Channels `channels` of `tensor`, all of them when nil.
    package init(_ tensor: Tensor, channels: Range<Int>? = nil) {
        precondition(tensor.shape.count >= 2, "ChannelSlice: \(tensor.shape) has no channel axis")
        let all = 0..<tensor.shape[1]
        let channels = channels ?? all
        precondition(channels.clamped(to: all) == channels, "ChannelSlice: channels \(channels) of \(tensor.shape)")
        self.tensor = tensor
        self.channels = channels
    }

    var batch: Int { tensor.shape[0] }
    /// Values per channel of one sample.
    var planeSize: Int { tensor.shape.dropFirst(2).reduce(1, *) }
    var sampleStride: Int { tensor.shape[1] * planeSize }
    /// The shape the slice would have as a tensor of its own.
    var shape: [Int] { [batch, channels.count] + tensor.shape.dropFirst(2) }
    /// The first value of the first sample's slice.
    var pointer: UnsafeMutablePointer<Float> { tensor.pointer + channels.lowerBound * planeSize }
}
