import TextData

extension TextDataset {
    /// The CSV layout of a corpus that has one (tests read AG and Yelp rows with it).
    var csvFormat: CSVFormat? { if case .csv(let format) = layout { format } else { nil } }
}
