import TextData

/// What a run trains on: its `data` section, resolved for its task.
package enum Workload {
    case text(TextDataConfiguration)
    case image(ImageDataConfiguration)

    package var task: RunConfiguration.Task {
        switch self {
        case .text: .text
        case .image: .image
        }
    }

    /// The corpus's name as configs write it ("mr", "cifar10").
    var datasetName: String {
        switch self {
        case .text(let data): data.dataset.rawValue
        case .image(let data): data.dataset.rawValue
        }
    }

    package var classes: Int {
        switch self {
        case .text(let data): data.classes
        case .image(let data): data.classes
        }
    }

    /// Class names for reports.
    package var classNames: [String] {
        switch self {
        case .text(let data): data.dataset.classNames
        case .image(let data): data.dataset.classNames(fineLabels: data.fineLabels)
        }
    }

    /// The dataset's folder or archive (`data.path`).
    package var path: String {
        get {
            switch self {
            case .text(let data): data.path
            case .image(let data): data.path
            }
        }
        set {
            switch self {
            case .text(var data): data.path = newValue; self = .text(data)
            case .image(var data): data.path = newValue; self = .image(data)
            }
        }
    }

    /// The MR test fold, nil for corpora with a test set of their own.
    package var fold: Int? {
        guard case .text(let data) = self, data.dataset.testSetIsFold else { return nil }
        return data.fold
    }
}
