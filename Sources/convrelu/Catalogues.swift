import ArgumentParser
import Experiments
import Models

// The closed sets of names are defined once, in the engine; here they become option values, so
// `--help` lists them and a misspelt one is rejected before any work, with the valid ones.
extension ModelName: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension Placement: ExpressibleByArgument {}
extension EvaluationSplit: ExpressibleByArgument {}
extension BenchmarkKind: ExpressibleByArgument {}

/// A comma-separated list of names of a closed set ("train,infer"); a name outside the set is
/// an error that lists the set.
func commaList<T: RawRepresentable & CaseIterable>(_ text: String) throws -> [T] where T.RawValue == String {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
        guard let value = T(rawValue: String(name)) else {
            throw ValidationError("'\(name)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

extension CaseIterable where Self: RawRepresentable, Self.RawValue == String {
    /// "a,b,…" for a list option's help: every valid name.
    static var listHelp: String { allCases.map(\.rawValue).joined(separator: ",") }
}
