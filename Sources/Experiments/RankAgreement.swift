import Distributed
import Foundation

/// The ranks of one job must train the same run: a rank started with another config file, an
/// edited copy on another host or another `--epochs` would take other batches or another path
/// through the collectives, and hang or train silently wrong. Before any data is read every
/// rank compares its resolved settings with rank 0's; on a difference every rank stops, and the
/// differing ones name the keys.
enum RankAgreement {
    /// `settings`: the resolved settings as JSON (`ResolvedSettings.json`) with what the command
    /// line adds; `file`: the config file, for the message.
    static func check(settings: String, file: String, communicator: Communicator) throws {
        guard communicator.isDistributed else { return }
        let leader = communicator.broadcast(settings, "broadcast of rank 0's settings")
        let differences = leader == settings ? [] : differingKeys(leader, settings)
        let differs = communicator.maximum([leader == settings ? 0 : Double(communicator.rank)], "allreduce of the settings check")[0]
        guard differs > 0 else { return }
        if leader != settings {
            throw ConfigError(file: file, key: nil, message: "rank \(communicator.rank)'s settings differ from rank 0's in "
                              + differences.joined(separator: "; ") + "; every rank of a job must train the same configuration")
        }
        throw ConfigError(file: file, key: nil, message: "rank \(Int(differs))'s settings differ from rank 0's "
                          + "(its own message names the keys); every rank of a job must train the same configuration")
    }

    /// "key (rank 0: a, this rank: b)" for each dotted key whose value differs.
    static func differingKeys(_ a: String, _ b: String) -> [String] {
        let left = flatten(a), right = flatten(b)
        return Set(left.keys).union(right.keys).sorted().compactMap { key in
            left[key] == right[key] ? nil : "\(key) (rank 0: \(left[key] ?? "absent"), this rank: \(right[key] ?? "absent"))"
        }
    }

    private static func flatten(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return ["": json] }
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (k, v) in dictionary { walk(v, path.isEmpty ? k : "\(path).\(k)") }
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                out[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(object, "")
        return out
    }
}
