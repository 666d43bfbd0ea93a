import Dispatch
import Foundation

/// Ctrl-C (SIGINT) or SIGTERM during a long command: says what was kept and how to go on, then
/// exits with 128 + the signal, as shells expect. The note is worked out when the signal
/// comes, on a dispatch queue rather than in a signal handler, so it may read files.
enum Interruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func onSignal(note: @escaping @Sendable () -> String) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nconvrelu: \(note())\n".utf8))
                _exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// This command line with `flag` added if it is not there: the command that continues.
    static func commandLine(adding flag: String? = nil) -> String {
        var arguments = ["convrelu"] + CommandLine.arguments.dropFirst()
        if let flag, !arguments.contains(flag) { arguments.append(flag) }
        return arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
