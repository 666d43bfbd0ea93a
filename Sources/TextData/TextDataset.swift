/// The text corpora a run can name (`data.dataset`), with everything that differs between them:
/// classes and their names, the files and their layout, the encoding, whether the test set is a
/// fold. The config reader, the preprocessor's callers and reports all read it from here.
public enum TextDataset: String, CaseIterable, Sendable {
    /// Sentence polarity v1.0 (Pang & Lee): two files of one sentence per line; the test set is
    /// a fold of a seeded stratified split.
    case mr
    /// Zhang et al.'s AG's News CSV: class, title, description.
    case agNews = "ag_news"
    /// Zhang et al.'s Yelp Review Full CSV: stars, review.
    case yelpFull = "yelp_full"

    public var classes: Int {
        switch self {
        case .mr: 2
        case .agNews: 4
        case .yelpFull: 5
        }
    }

    /// Class names for reports (MR: by file; AG: its classes.txt; Yelp: stars).
    public var classNames: [String] {
        switch self {
        case .mr: ["negative", "positive"]
        case .agNews: ["World", "Sports", "Business", "Sci/Tech"]
        case .yelpFull: ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
        }
    }

    /// MR's files (negative = class 0, positive = class 1), found by base name in a folder or in
    /// the release archive.
    public static let movieReviewFiles = (positive: "rt-polarity.pos", negative: "rt-polarity.neg")

    /// The CSV layout of a corpus with train and test files; nil for MR.
    public var csvFormat: CSVFormat? {
        switch self {
        case .mr: nil
        case .agNews: CSVFormat(classCount: 4, textFieldCount: 2)
        case .yelpFull: CSVFormat(classCount: 5, textFieldCount: 1)
        }
    }

    /// MR is latin-1; the CSV corpora are UTF-8 with the odd latin-1 line (read per line).
    public var encoding: TextEncoding { self == .mr ? .latin1 : .auto }

    /// Whether the test set is a fold (`data.fold`) rather than a file of its own.
    public var testSetIsFold: Bool { self == .mr }
}
