/// Why a cross-validation sweep cannot go ahead: an option value that does not parse, a sweep
/// folder started with another config, too few pairs to compare. The message names the option
/// or the folder the user wrote and says what would be valid.
struct SweepError: Error, CustomStringConvertible, Sendable {
    var description: String

    init(_ description: String) { self.description = description }
}
