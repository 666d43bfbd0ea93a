import Tensor

/// A seeded, stratified k-fold split (MR has no official split; the papers use 10-fold CV).
///
/// Each class's samples are shuffled and dealt to the folds in turn, so every fold gets
/// ⌊n_c / k⌋ or ⌈n_c / k⌉ samples of class c. The dealing continues across classes instead of
/// restarting at fold 0, so total fold sizes also differ by at most one.
///
/// The split is saved as a TSV file (`id`, `label`, `fold`) so that a run can name its fold and
/// another machine or a later run gets exactly the same folds, even if the seed handling changes.
package struct FoldAssignment: Sendable, Equatable {
    package let foldCount: Int
    package let seed: UInt64
    /// Sample ids (`file:line`) in corpus order, with their 0-based class and fold.
    package let ids: [String]
    package let labels: [Int]
    package let folds: [Int]

    package init(foldCount: Int, seed: UInt64, ids: [String], labels: [Int], folds: [Int]) {
        precondition(ids.count == labels.count && ids.count == folds.count, "FoldAssignment: lengths differ")
        precondition(foldCount > 1 && foldCount < 255, "FoldAssignment: fold count must be in 2...254")
        self.foldCount = foldCount
        self.seed = seed
        self.ids = ids
        self.labels = labels
        self.folds = folds
    }

    package static func stratified(_ samples: [LabeledText], foldCount: Int = 10, seed: UInt64) -> FoldAssignment {
        var rng = RNG(seed: seed, stream: "stratified-folds")
        var folds = [Int](repeating: 0, count: samples.count)
        var next = 0
        let classes = Set(samples.map(\.label)).sorted()
        for label in classes {
            var members = samples.indices.filter { samples[$0].label == label }
            rng.shuffle(&members)
            for sample in members {
                folds[sample] = next
                next = (next + 1) % foldCount
            }
        }
        return FoldAssignment(foldCount: foldCount, seed: seed, ids: samples.map(\.id), labels: samples.map(\.label),
                              folds: folds)
    }

    /// Sample indices (corpus order) of fold `fold` and of all the other folds.
    package func split(testFold fold: Int) -> (train: [Int], test: [Int]) {
        precondition(fold >= 0 && fold < foldCount, "FoldAssignment: fold \(fold) outside 0..<\(foldCount)")
        let test = folds.indices.filter { folds[$0] == fold }
        let train = folds.indices.filter { folds[$0] != fold }
        return (train, test)
    }

    /// The folds of `samples`, in their order; every sample must be in this assignment with the same class.
    package func folds(for samples: [LabeledText], file: String = "fold assignment") throws -> [Int] {
        try folds(forIDs: samples.map(\.id), labels: samples.map(\.label), file: file)
    }

    func folds(forIDs sampleIDs: [String], labels sampleLabels: [Int], file: String) throws -> [Int] {
        var byID: [String: Int] = [:]
        for (index, id) in ids.enumerated() { byID[id] = index }
        guard ids.count == sampleIDs.count else {
            throw TextDataError(file: file, .foldsDoNotMatchSamples(detail: "\(ids.count) ids for \(sampleIDs.count) samples"))
        }
        return try zip(sampleIDs, sampleLabels).map { id, label in
            guard let index = byID[id] else {
                throw TextDataError(file: file, .foldsDoNotMatchSamples(detail: "no fold for sample \(id)"))
            }
            guard labels[index] == label else {
                throw TextDataError(file: file, .foldsDoNotMatchSamples(
                    detail: "sample \(id) has class \(label), the fold file says \(labels[index])"))
            }
            return folds[index]
        }
    }

    // MARK: the TSV file

    private static let headerPrefix = "# ConvReLU stratified folds"

    package func tsv() -> String {
        var text = "\(FoldAssignment.headerPrefix) folds=\(foldCount) seed=\(seed) samples=\(ids.count)\nid\tlabel\tfold\n"
        for index in ids.indices { text += "\(ids[index])\t\(labels[index])\t\(folds[index])\n" }
        return text
    }

    package func write(to path: String) throws {
        try AtomicFile.write(Array(tsv().utf8), to: path)
    }

    package static func read(from path: String) throws -> FoldAssignment {
        let file = try SourceFile(path: path)
        return try file.withBytes { try parse(String(decoding: $0, as: UTF8.self), file: path) }
    }

    package static func parse(_ text: String, file: String) throws -> FoldAssignment {
        func fail(_ line: Int?, _ detail: String) -> TextDataError {
            TextDataError(file: file, line: line, .malformedFoldFile(detail: detail))
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0].hasPrefix(headerPrefix) else {
            throw fail(1, "the first line must start with \"\(headerPrefix)\"")
        }
        var settings: [Substring: Substring] = [:]
        for pair in lines[0].dropFirst(headerPrefix.count).split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { settings[parts[0]] = parts[1] }
        }
        guard let foldCount = settings["folds"].flatMap({ Int($0) }), foldCount > 1, foldCount < 255,
              let seed = settings["seed"].flatMap({ UInt64($0) }),
              let sampleCount = settings["samples"].flatMap({ Int($0) }) else {
            throw fail(1, "the header must give folds=K (2...254), seed=S and samples=N")
        }
        guard lines[1] == "id\tlabel\tfold" else { throw fail(2, "the second line must be the column names id, label, fold") }
        var ids: [String] = [], labels: [Int] = [], folds: [Int] = []
        for (offset, line) in lines.dropFirst(2).enumerated() where !line.isEmpty {
            let lineNumber = offset + 3
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 3, let label = Int(columns[1]), label >= 0,
                  let fold = Int(columns[2]), fold >= 0, fold < foldCount else {
                throw fail(lineNumber, "expected id<TAB>class<TAB>fold with a fold in 0..<\(foldCount)")
            }
            ids.append(String(columns[0]))
            labels.append(label)
            folds.append(fold)
        }
        guard ids.count == sampleCount else { throw fail(nil, "the header says \(sampleCount) samples, the file lists \(ids.count)") }
        guard Set(ids).count == ids.count else { throw fail(nil, "a sample id is listed twice") }
        return FoldAssignment(foldCount: foldCount, seed: seed, ids: ids, labels: labels, folds: folds)
    }
}
