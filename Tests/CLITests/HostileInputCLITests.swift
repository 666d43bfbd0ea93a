import Foundation
import TestSupport
import Testing

/// Hostile input (issue 15) ends in a message naming what the user wrote and exit status 1.
@Suite(.serialized) struct HostileInputCLITests {
    @Test func misspeltCommandIsNamed() throws {
        let run = try convrelu(["trian", "--config", "configs/mr-convrelu.json"])
        #expect(run.status == 1)
        #expect(run.error == "convrelu: error: unknown command 'trian'; the commands are: train, cv, eval, classify, preprocess, params, bench\n")
    }

    /// A misspelt name of a closed set (issue 10) fails before any work, listing the valid ones.
    @Test func misspeltChoicesListTheValidOnes() throws {
        let bench = try convrelu(["bench", "--kinds", "train,trian"])
        #expect(bench.status == 64 && bench.output.isEmpty)
        #expect(bench.error.contains("'trian' is not one of train, infer, latency"), "\(bench.error)")
        let eval = try convrelu(["eval", "--checkpoint", "missing.safetensors", "--split", "tset"])
        #expect(eval.status == 64)
        #expect(eval.error.contains("Please provide one of 'test', 'validation' or 'train'"), "\(eval.error)")
        let params = try convrelu(["params", "--model", "densenet", "--activation", "relu"])
        #expect(params.error.contains("The value 'densenet' is invalid for '--model <model>'"), "\(params.error)")
        #expect(params.error.contains("- densenet40\n"), "\(params.error)")
    }

    /// A checkpoint whose header would overflow the reader's arithmetic is refused by both
    /// commands that read one from the command line.
    @Test func hostileCheckpointIsAnError() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let header = Array("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 9223372036854775807]}}".utf8)
        let checkpoint = try temporary.write("hostile.safetensors",
                                             withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header)
        for command in [["eval", "--checkpoint", checkpoint], ["classify", "--checkpoint", checkpoint]] {
            let run = try convrelu(command, input: Data("a sentence\n".utf8))
            #expect(run.status == 1, "\(command[0]): \(run.error)")
            #expect(run.error.contains("\(checkpoint): tensor 'w': data_offsets"), "\(run.error)")
        }
    }

    @Test func outputFolderThatIsAFile() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        try temporary.write("run", "not a folder")
        let run = try convrelu(["train", "--config", config])
        #expect(run.status == 1)
        #expect(run.error.contains("convrelu: error: \(folder)/run: exists and is not a folder"), "\(run.error)")
    }

    /// The cache folder, or a folder above it, is a file.
    @Test func cacheFolderThatIsAFile() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        try temporary.write("cache", "not a folder")
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        let run = try convrelu(["train", "--config", config])
        #expect(run.status == 1)
        #expect(run.error.contains("convrelu: error: \(folder)/cache: exists and is not a folder"), "\(run.error)")

        let below = try temporary.write("below.json", smallMRConfig(folder: folder + "/cache"))
        let nested = try convrelu(["train", "--config", below])
        #expect(nested.status == 1)
        #expect(nested.error.contains("convrelu: error: \(folder)/cache: exists and is not a folder"), "\(nested.error)")
    }

    /// A copy of MR in `folder`/mr whose files are given; nil keeps the real file.
    static func mrCopy(in temporary: TemporaryFolder, positive: String? = nil, negative: String? = nil) throws -> String {
        let mr = temporary.path + "/mr"
        try FileManager.default.createDirectory(atPath: mr, withIntermediateDirectories: true)
        for (name, replacement) in [("rt-polarity.pos", positive), ("rt-polarity.neg", negative)] {
            if let replacement {
                try replacement.write(toFile: mr + "/" + name, atomically: true, encoding: .utf8)
            } else {
                try FileManager.default.copyItem(atPath: "\(Fixtures.dataFolder)/mr/\(name)", toPath: mr + "/" + name)
            }
        }
        return mr
    }

    /// Issue 15, row 9: empty files, or one class's file empty, stop the run before training.
    @Test func emptyOrOneClassTrainingSetIsAnError() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path))
        let oneClass = try Self.mrCopy(in: temporary, positive: "")
        let run = try convrelu(["train", "--config", config, "--data", oneClass])
        #expect(run.status == 1)
        #expect(run.error.contains("\(oneClass): the training split holds one class only ('negative', 64 samples)"), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/run/last.safetensors"))

        let emptyFolder = try TemporaryFolder(prefix: "convrelu-cli")
        let empty = try Self.mrCopy(in: emptyFolder, positive: "", negative: "")
        let none = try convrelu(["train", "--config", config, "--data", empty])
        #expect(none.status == 1)
        #expect(none.error.contains("\(empty): the training split has no samples"), "\(none.error)")
    }

    /// Issue 15, row 4: a corpus file that changes after its cache was built gets a new cache.
    @Test func changedCorpusIsPreprocessedAgain() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let mr = try Self.mrCopy(in: temporary)
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path))
        let first = try convrelu(["preprocess", "--config", config, "--data", mr])
        #expect(first.status == 0 && first.output.contains("preprocessing mr into"), "\(first.error)")
        let again = try convrelu(["preprocess", "--config", config, "--data", mr])
        #expect(again.status == 0 && !again.output.contains("preprocessing"), "an unchanged corpus reuses its cache")
        var lines = try String(contentsOfFile: mr + "/rt-polarity.pos", encoding: .isoLatin1).split(separator: "\n", omittingEmptySubsequences: false)
        lines[0] = "an entirely different first sentence ."
        try lines.joined(separator: "\n").write(toFile: mr + "/rt-polarity.pos", atomically: true, encoding: .isoLatin1)
        let changed = try convrelu(["preprocess", "--config", config, "--data", mr])
        #expect(changed.status == 0 && changed.output.contains("preprocessing mr into"), "a changed corpus is preprocessed again")
    }
}
