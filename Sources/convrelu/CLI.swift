import ArgumentParser
import Distributed
import Experiments
import Foundation
import Kernels

@main
struct ConvReLUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convrelu",
        abstract: "Train, evaluate and use character-level and CIFAR classifiers with adaptive convolutional ReLUs.",
        subcommands: [Train.self, CrossValidate.self, Evaluate.self, Classify.self, Preprocess.self, Parameters.self, Bench.self])

    static func main() {
        // ArgumentParser reads a misspelt command as the root's argument and complains about
        // the first option after it ("Unknown option '--config'"), which hides the typo.
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"), first != "help",
           !commandNames.contains(first) {
            fail("unknown command '\(first)'; the commands are: \(commandNames.joined(separator: ", "))")
        }
        // OpenBLAS picks its kernels before main() runs: re-exec once with the fast core set.
        BLASRuntime.reexecWithFastSettingsIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
            (try? Communicator.world)?.finish()
        } catch let error as ConfigError {
            fail(error.description)
        } catch {
            if error is CleanExit || error is ExitCode || error is ValidationError || "\(type(of: error))".contains("CommandError") {
                if let world = try? Communicator.world, world.isDistributed {
                    FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                    world.abort(code: exitCode(for: error).rawValue)
                }
                exit(withError: error)
            }
            fail("\(error)")
        }
    }

    /// The registered subcommands' names, as typed on the command line.
    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } }

    /// Prints the error and exits 1; under mpirun the message names the rank and the whole job
    /// ends, since the other ranks would otherwise wait for this one in their next collective.
    static func fail(_ message: String) -> Never {
        let world = try? Communicator.world
        FileHandle.standardError.write(Data("convrelu: error: \(world?.label ?? "")\(message)\n".utf8))
        guard let world, world.isDistributed else { Foundation.exit(1) }
        world.abort(code: 1)
    }
}

/// Prints a line to standard output at once (so a pipe sees it immediately).
func say(_ line: String) {
    print(line)
    fflush(nil)
}
