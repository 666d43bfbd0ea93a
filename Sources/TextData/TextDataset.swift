/// How a corpus lays out its texts.
package enum TextLayout: Sendable, Equatable {
    /// One text per line, one file per class, in class order; the test set is a fold of a seeded
    /// stratified split (`data.fold`).
    case filePerClass([String])
    /// A Zhang et al. CSV with a train and a test file (`data.train_file`, `data.test_file`).
    case csv(CSVFormat)
}

/// The text corpora a run can name (`data.dataset`), with everything that differs between them:
/// classes and their names, the files and their layout, the encoding. The config reader, the
/// preprocessor's callers and reports all read it from here, so a corpus in one of these
/// layouts is one case here.
package enum TextDataset: String, CaseIterable, Sendable {
    /// Sentence polarity v1.0 (Pang & Lee): two files of one sentence per line; the test set is
    /// a fold of a seeded stratified split.
    case mr
    /// Zhang et al.'s AG's News CSV: class, title, description.
    case agNews = "ag_news"
    /// Zhang et al.'s Yelp Review Full CSV: stars, review.
    case yelpFull = "yelp_full"

    package var classes: Int {
        switch self {
        case .mr: 2
        case .agNews: 4
        case .yelpFull: 5
        }
    }

    /// Class names for reports (MR: by file; AG: its classes.txt; Yelp: stars).
    package var classNames: [String] {
        switch self {
        case .mr: ["negative", "positive"]
        case .agNews: ["World", "Sports", "Business", "Sci/Tech"]
        case .yelpFull: ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
        }
    }

    /// Files are found by base name, in a folder or anywhere in the release archive.
    package var layout: TextLayout {
        switch self {
        case .mr: .filePerClass(["rt-polarity.neg", "rt-polarity.pos"])
        case .agNews: .csv(CSVFormat(classCount: 4, textFieldCount: 2))
        case .yelpFull: .csv(CSVFormat(classCount: 5, textFieldCount: 1))
        }
    }

    /// MR is latin-1; the CSV corpora are UTF-8 with the odd latin-1 line (read per line).
    package var encoding: TextEncoding { self == .mr ? .latin1 : .auto }

    /// Whether the test set is a fold (`data.fold`) rather than a file of its own.
    package var testSetIsFold: Bool { if case .filePerClass = layout { true } else { false } }
}
