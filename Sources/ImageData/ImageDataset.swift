/// The image corpora a run can name (`data.dataset`): the config reader and reports read their
/// classes, names and label choice from here, the loader reads their files (`CIFARVariant`).
package enum ImageDataset: String, CaseIterable, Sendable {
    case cifar10, cifar100

    /// The variant the loader reads: CIFAR-100 with its 100 fine labels or its 20 coarse ones.
    package func variant(fineLabels: Bool) -> CIFARVariant { self == .cifar10 ? .cifar10 : .cifar100(fine: fineLabels) }

    /// Class names for reports: CIFAR-10's batches.meta.txt; CIFAR-100's label indices (its names
    /// are in the archive's meta files, which the loader does not read).
    package func classNames(fineLabels: Bool) -> [String] {
        switch self {
        case .cifar10: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .cifar100: (0..<variant(fineLabels: fineLabels).classCount).map(String.init)
        }
    }
}
