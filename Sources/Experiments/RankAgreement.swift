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
        let differences = leader == settings ? []
            : ResumeCheck.differences(ResumeCheck.flatten(json: leader) ?? [:], ResumeCheck.flatten(json: settings) ?? [:])
        let differs = communicator.maximum([leader == settings ? 0 : Double(communicator.rank)], "allreduce of the settings check")[0]
        guard differs > 0 else { return }
        if leader == settings {
            // The differing ranks print their keys and end the job; waiting here keeps this rank's
            // abort from killing them before they have.
            communicator.barrier("wait while rank \(Int(differs)) reports its settings")
        } else {
            throw ConfigError(file: file, key: nil, message: "rank \(communicator.rank)'s settings differ from rank 0's (rank 0's → this rank's): "
                              + differences.map(\.description).joined(separator: "; ") + "; every rank of a job must train the same configuration")
        }
        throw ConfigError(file: file, key: nil, message: "rank \(Int(differs))'s settings differ from rank 0's "
                          + "(its own message names the keys); every rank of a job must train the same configuration")
    }
}
