import Foundation

/// The `convrelu-fuzz` command.
///
/// - `replay <target> <file or folder>...` runs saved inputs (seeds, crashers) through a target,
///   in any build, so CI and tests check them without libFuzzer. Each input prints `accepted`
///   or `rejected: <the parser's message>`; a crash ends the process.
/// - `fuzz <target> [libFuzzer options and corpus folders]`, only in the build with `-D FUZZING`
///   (scripts/fuzz.sh), hands the target to libFuzzer.
@main
struct FuzzCommand {
    static let usage = """
        usage: convrelu-fuzz replay <target> <file or folder>...
               convrelu-fuzz fuzz <target> [libFuzzer arguments]   (in the scripts/fuzz.sh build)
        targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
        """

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        #if FUZZING
        // libFuzzer runs the binary again for -merge, -fork and -jobs, with its own arguments
        // only: the target travels in the environment.
        if arguments.first != "fuzz", let target = ProcessInfo.processInfo.environment[targetVariable] {
            arguments = ["fuzz", target] + arguments
        }
        #endif
        guard arguments.count >= 2, ["replay", "fuzz"].contains(arguments[0]) else { fail(usage) }
        guard let target = FuzzTarget(rawValue: arguments[1]) else { fail("unknown target '\(arguments[1])'\n" + usage) }
        let harness: FuzzHarness
        do { harness = try FuzzHarness(target) } catch { fail("cannot set up target \(target.rawValue): \(error)") }
        let rest = Array(arguments.dropFirst(2))
        if arguments[0] == "fuzz" {
            #if FUZZING
            setenv(targetVariable, target.rawValue, 1)
            exit(runLibFuzzer(harness, arguments: [CommandLine.arguments[0]] + rest))
            #else
            fail("this build has no fuzzer: build it with scripts/fuzz.sh build")
            #endif
        }
        guard !rest.isEmpty else { fail(usage) }
        for path in rest.flatMap(inputFiles) {
            guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read the file") }
            do {
                try harness.run([UInt8](data), name: path)
                print("\(path): accepted")
            } catch {
                print("\(path): rejected: \(error)")
            }
        }
    }

    /// A folder's files (sorted, not descending), or the path itself.
    private static func inputFiles(_ path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fail("\(path): no such file or folder") }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter {
            var isSubfolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isSubfolder) && !isSubfolder.boolValue
        }
    }

    /// Names the target for the processes libFuzzer starts itself.
    static let targetVariable = "CONVRELU_FUZZ_TARGET"

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
