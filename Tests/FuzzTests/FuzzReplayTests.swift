import Foundation
import Testing
@testable import convrelu_fuzz

/// `Fuzz/` at the repository root: the seed corpora and the crashers the fuzzer found.
private let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz").path

/// The files of `Fuzz/<kind>/<target>/`, sorted; none when the folder does not exist.
private func inputs(_ kind: String, _ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
    let folder = "\(fuzzFolder)/\(kind)/\(target.rawValue)"
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    return names.compactMap { name in
        FileManager.default.contents(atPath: "\(folder)/\(name)").map { ("\(folder)/\(name)", [UInt8]($0)) }
    }
}

/// What a target made of one input: nil when accepted, else the error's message.
private func outcome(_ harness: FuzzHarness, _ bytes: [UInt8], name: String) -> String? {
    do { try harness.run(bytes, name: name); return nil } catch { return "\(error)" }
}

@Suite struct FuzzReplayTests {
    /// Every seed runs to a clean outcome, every target has seeds it accepts, and every
    /// rejection names the input, as the error a user sees names the file.
    @Test(arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let harness = try FuzzHarness(target)
        let seeds = inputs("corpus", target)
        #expect(seeds.count >= 4, "Fuzz/corpus/\(target.rawValue) has \(seeds.count) seeds")
        var accepted = 0
        for seed in seeds {
            if let message = outcome(harness, seed.bytes, name: seed.name) {
                #expect(message.contains(seed.name), "\(seed.name): \(message)")
            } else {
                accepted += 1
            }
        }
        #expect(accepted > 0, "no seed of \(target.rawValue) is a valid input")
    }

    /// Inputs the fuzzer once crashed on (each with the fix in its parser) now end cleanly.
    @Test(arguments: FuzzTarget.allCases)
    func crashersReplay(_ target: FuzzTarget) throws {
        let harness = try FuzzHarness(target)
        for crasher in inputs("crashers", target) { _ = outcome(harness, crasher.bytes, name: crasher.name) }
    }

    /// Damaged inputs are rejected with the parser's message, not accepted and not a crash.
    @Test func knownBadInputsAreRejected() throws {
        let cases: [(FuzzTarget, [UInt8], String)] = [
            (.checkpoint, Array("\u{7}\0\0\0\0\0\0\0{\"a\":1}".utf8), "malformed header entry"),
            (.textCSV, Array("\"7\",\"title\",\"text\"\n".utf8), "class label 7"),
            (.textClasses, [0x61, 0x00, 0x62, 0x0a], "control byte 0x00"),
            (.archive, [0x1f, 0x8b, 0x08, 0x00], "truncated"),
            (.cifar, [UInt8](repeating: 200, count: 3073), "label 200"),
            (.config, Array("{\"task\": \"text\", \"seed\": -1}".utf8), "data"),
        ]
        for (target, bytes, expected) in cases {
            let message = outcome(try FuzzHarness(target), bytes, name: "bad-input")
            #expect(message?.contains(expected) == true, "\(target.rawValue): \(message ?? "accepted")")
        }
    }

    /// classify reads standard input with `readLine(strippingNewline: true)`; the fuzz target
    /// splits its bytes the same way.
    @Test func classifyLinesMatchReadLine() {
        #expect(standardInputLines(Array("a\r\nb\n\nc\r".utf8)) == ["a", "b", "", "c\r"])
        #expect(standardInputLines(Array("one\n".utf8)) == ["one"])
        #expect(standardInputLines([]) == [])
        #expect(standardInputLines([0x61, 0xff, 0x0a]) == ["a\u{FFFD}"])
    }
}
