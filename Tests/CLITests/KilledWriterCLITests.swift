import Foundation
import TestSupport
import Testing

/// A process killed while it writes a file: what readers see afterwards, and what the next run does.
@Suite struct KilledWriterCLITests {
    /// `preprocess` killed while it writes a text cache leaves no cache where readers look, only
    /// its temporary; the next run removes that temporary and writes the cache.
    @Test func preprocessKilledMidWriteLeavesNoTornCache() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let row = "\"3\",\"Wall St. Bears Claw Back\",\"Short-sellers, Wall Street's dwindling band of ultra-cynics, are seeing green.\"\n"
        // About 20 MB: encoding it takes long enough after the cache file is created to be caught.
        try temporary.write("ag/train.csv", String(repeating: row, count: 200_000))
        try temporary.write("ag/test.csv", row + row)
        let config = try temporary.write("ag.json", """
            {"task": "text", "data": {"dataset": "ag_news", "path": "\(folder)/ag", "cache": "\(folder)/cache", "length": 130},
             "model": {"features": 8, "hidden_units": 16}, "optimizer": {"lr": 0.01}, "epochs": 1, "output": "\(folder)/run"}
            """)
        let cache = folder + "/cache"
        func cacheFiles() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).sorted() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: convreluBinary)
        process.arguments = ["preprocess", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen: String?
        let deadline = Date() + 60
        while seen == nil, process.isRunning, Date() < deadline {
            seen = cacheFiles().first { $0.contains(".tmp-") }
            if seen == nil { usleep(500) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let leftover = try #require(seen, "preprocess ended before its temporary file was seen")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(leftover.hasPrefix(".ag_news-train-") && leftover.hasSuffix(".crtext.tmp-\(process.processIdentifier)"))
        #expect(cacheFiles() == [leftover])

        try temporary.write("ag/train.csv", row + row + row)
        let rerun = try convrelu(["preprocess", "--config", config])
        #expect(rerun.status == 0, "\(rerun.error)")
        #expect(rerun.output.contains("train 3, validation 0, test 2 samples"), "\(rerun.output)")
        let files = cacheFiles()
        #expect(files.count == 2 && files.allSatisfy { $0.hasSuffix(".crtext") && !$0.hasPrefix(".") }, "\(files)")
    }

    /// Issue 15, row 13: Ctrl-C during training says what was kept and how to go on, and the
    /// command it gives continues the run.
    @Test func interruptedTrainingSaysWhatWasKept() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path).replacingOccurrences(of: "\"epochs\": 1", with: "\"epochs\": 40"))
        let errPath = temporary.path + "/err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: convreluBinary)
        process.arguments = ["train", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        let last = temporary.path + "/run/last.safetensors"
        let deadline = Date() + 120
        while !FileManager.default.fileExists(atPath: last), process.isRunning, Date() < deadline { usleep(10_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let error = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(process.terminationStatus == 130, "\(error)")
        #expect(error.contains("convrelu: interrupted: \(last) keeps epoch "), "\(error)")
        #expect(error.contains("continue with: convrelu train --config \(config) --resume"), "\(error)")
        let resumed = try convrelu(["train", "--config", config, "--resume", "--epochs", "2"])
        #expect(resumed.status == 0, "\(resumed.error)")
    }
}
