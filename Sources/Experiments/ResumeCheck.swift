import Foundation
import Training

/// Whether `train --resume` continues the run a checkpoint belongs to: the resolved settings
/// stored in the checkpoint must equal the new run's, except for
/// - `epochs`, how far to train, which is what a resume is usually for;
/// - `threads`, which sets OpenBLAS's thread count and the preprocessing workers and changes no
///   result: OpenBLAS gives each thread whole blocks of a product's output, every element summed
///   over the same blocks in the same order; the engine's own parallel loops split by core count,
///   not by this setting; and a text cache is the same bytes for any worker count (tests train
///   with 1 and 2 threads and compare the tensors' bits);
/// - `output` and `data.cache`, which say where the run and the caches are, not what they hold;
/// - `sync_batch_norm`, which like the rank count (not a setting: a run resumes with any `mpirun
///   -np`) decides only over how much of a batch the ranks take batch-norm statistics.
/// Any other change (a learning rate, a batch size, `train_limit`, an activation) would continue
/// another run from this one's weights, so it is refused, listing every difference.
enum ResumeCheck {
    static let changeable: Set<String> = ["epochs", "threads", "output", "data.cache", "sync_batch_norm"]

    struct Difference: Equatable, CustomStringConvertible {
        var key: String
        var stored: String
        var new: String
        var description: String { "\(key): \(stored) → \(new)" }
    }

    /// Throws unless the checkpoint's settings equal `settings` (JSON, as `ResolvedSettings`
    /// writes it) outside `changeable`; returns a line per allowed change, for the log.
    static func check(checkpoint path: String, metadata: [String: String], settings: String) throws -> [String] {
        guard let storedText = metadata[ResolvedSettings.metadataKey], let stored = flatten(json: storedText) else {
            throw TrainerError(description: "\(path): no resolved settings in its metadata, so --resume cannot tell whether this config continues its run")
        }
        let changes = differences(stored, flatten(json: settings)!)
        let refused = changes.filter { !changeable.contains($0.key) }
        guard refused.isEmpty else {
            throw TrainerError(description: "\(path): --resume may change only \(changeable.sorted().joined(separator: ", ")); "
                               + "this config also changes " + refused.map(\.description).joined(separator: "; ")
                               + ". Resume with the run's own config (stored in the checkpoint's metadata), or train into another output folder")
        }
        return changes.map { change in
            var line = "resuming with \(change)"
            if change.key == "epochs", let schedule = stored["schedule.name"].map(readable), ["cosine", "linear"].contains(schedule) {
                line += " (the \(schedule) schedule decays over the epoch count: the epochs done so far followed the \(change.stored)-epoch one)"
            }
            return line
        }
    }

    /// The keys whose values differ, sorted; a key only one side has shows "(none)" on the other.
    static func differences(_ stored: [String: String], _ new: [String: String]) -> [Difference] {
        Set(stored.keys).union(new.keys).sorted().compactMap { key in
            let (a, b) = (stored[key], new[key])
            return a == b ? nil : Difference(key: key, stored: a.map(readable) ?? "(none)", new: b.map(readable) ?? "(none)")
        }
    }

    /// Dotted key → the value as JSON; arrays are single values. nil when `json` is not an object.
    static func flatten(json: String) -> [String: String]? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return nil }
        var flat: [String: String] = [:]
        func visit(_ value: Any, _ key: String) {
            if let object = value as? [String: Any] {
                for (name, child) in object { visit(child, key.isEmpty ? name : key + "." + name) }
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                flat[key] = String(decoding: data, as: UTF8.self)
            }
        }
        visit(object, "")
        return flat
    }

    /// A JSON value as a person reads it: strings without quotes, null as "none".
    private static func readable(_ json: String) -> String {
        if json == "null" { return "none" }
        if let string = (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)) as? String { return string }
        return json
    }
}
