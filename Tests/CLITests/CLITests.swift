import Foundation
import TestSupport
import Testing

/// The built `convrelu` binary, beside the test bundle.
let convreluBinary: String = {
    let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
    return candidates.map { $0.appendingPathComponent("convrelu").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? "convrelu"
}()

struct Run {
    var status: Int32
    var output: String
    var error: String
}

/// Runs the CLI with `arguments`, `input` as its standard input and `environment` added to
/// this process's; output and errors go through files, so a chatty process can never block on a full pipe.
func convrelu(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws -> Run {
    try run(convreluBinary, arguments, input: input, environment: environment)
}

/// Runs `executable` with `arguments` (see `convrelu`), `environment` added to this process's.
func run(_ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws -> Run {
    let folder = try TemporaryFolder(prefix: "convrelu-cli")
    let (inPath, outPath, errPath) = (folder.path + "/in", folder.path + "/out", folder.path + "/err")
    try input.write(to: URL(fileURLWithPath: inPath))
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = FileHandle(forReadingAtPath: inPath)
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    try process.run()
    process.waitUntilExit()
    return Run(status: process.terminationStatus,
               output: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
               error: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// A tiny but real MR run: 64 training sentences, a narrow char-CNN with ConvReLU.
func smallMRConfig(folder: String, extra: String = "") -> String {
    """
    {
      "task": "text",
      "data": {"dataset": "mr", "path": "\(Fixtures.dataFolder)/mr", "cache": "\(folder)/cache", "length": 130,
               "validation_fraction": 0.05, "train_limit": 64},
      "model": {"name": "charcnn", "features": 8, "hidden_units": 16, "batch_norm": true, "activation": "convrelu"\(extra)},
      "optimizer": {"name": "adam", "lr": 0.001},
      "batch_size": 16,
      "epochs": 1,
      "seed": 3,
      "output": "\(folder)/run"
    }
    """
}

@Suite(.serialized) struct CLITests {
    @Test func trainResumeEvaluateClassify() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))

        let first = try convrelu(["train", "--config", config])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("OpenBLAS core"))
        #expect(first.output.contains("test accuracy:"))
        #expect(FileManager.default.fileExists(atPath: folder + "/run/last.safetensors"))
        #expect(FileManager.default.fileExists(atPath: folder + "/run/best.safetensors"))

        let again = try convrelu(["train", "--config", config])
        #expect(again.status != 0)
        #expect(again.error.contains("--resume"))

        // The thread count changes no result, so a resume may change it, like the epoch count.
        let resumed = try convrelu(["train", "--config", config, "--resume", "--epochs", "2", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming with epochs: 1 → 2"))
        #expect(resumed.output.contains("resuming with threads: 2 → 1"))
        #expect(resumed.output.contains("resumed from"))
        #expect(resumed.output.contains("epoch   2"))
        let log = try String(contentsOfFile: folder + "/run/metrics.jsonl", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
        #expect(!log.contains("test_accuracy"), "the test split is not evaluated during training")

        // result.json: the test accuracy of the checkpoint chosen on validation, evaluated once.
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/result.json"))) as? [String: Any]
        #expect(result?["epochs"] as? Int == 2 && result?["selection"] as? String == "best" && result?["fold"] as? Int == 0)
        let best = try convrelu(["eval", "--checkpoint", folder + "/run/best.safetensors", "--json"])
        let bestReport = try JSONSerialization.jsonObject(with: Data(best.output.utf8)) as? [String: Any]
        #expect(bestReport?["accuracy"] as? Double == result?["test_accuracy"] as? Double)
        let last = try convrelu(["eval", "--checkpoint", folder + "/run/last.safetensors", "--json"])
        let lastReport = try JSONSerialization.jsonObject(with: Data(last.output.utf8)) as? [String: Any]
        #expect(lastReport?["accuracy"] as? Double == result?["test_accuracy_last"] as? Double)

        let evaluation = try convrelu(["eval", "--checkpoint", folder + "/run/last.safetensors", "--json"])
        #expect(evaluation.status == 0, "\(evaluation.error)")
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any]
        #expect((report?["total"] as? Int) == 1047)  // MR fold 0 of the shared data
        #expect((report?["confusion"] as? [[Int]])?.count == 2)
        let text = try convrelu(["eval", "--checkpoint", folder + "/run/last.safetensors"])
        #expect(text.output.contains("confusion matrix"))

        // Empty lines, a very long line and binary garbage each get an answer.
        var input = Data("a gripping , funny film\n\n".utf8)
        input.append(Data(String(repeating: "long ", count: 20_000).utf8))
        input.append(Data("\n".utf8))
        input.append(Data([0xff, 0xfe, 0x00, 0x80, 0x9f, 0x0a]))
        input.append(Data("dull and lifeless\n".utf8))
        let classified = try convrelu(["classify", "--checkpoint", folder + "/run/last.safetensors", "--json"], input: input)
        #expect(classified.status == 0, "\(classified.error)")
        let lines = classified.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 5)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["probabilities"] != nil || object?["error"] != nil, "\(line)")
        }
        let plain = try convrelu(["classify", "--checkpoint", folder + "/run/last.safetensors"], input: Data("fine\n".utf8))
        #expect(plain.output.hasPrefix("0\tnegative\t") || plain.output.hasPrefix("1\tpositive\t"))
    }

    @Test func badConfigsStopWithFileAndKey() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("bad.json", smallMRConfig(folder: folder, extra: ", \"drop_out\": 0.1"))
        let unknown = try convrelu(["train", "--config", config])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("\(config): model.drop_out: unknown key"))

        let missing = try convrelu(["train", "--config", folder + "/absent.json"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("absent.json"))

        try smallMRConfig(folder: folder).replacingOccurrences(of: "\"/mr\"", with: "\"/no-such-folder\"")
            .replacingOccurrences(of: "\(Fixtures.dataFolder)/mr", with: folder + "/no-such-folder")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let noData = try convrelu(["train", "--config", config])
        #expect(noData.status == 1)
        #expect(noData.error.contains("no-such-folder: no such file"), "\(noData.error)")
    }

    /// Bad corpus contents stop `train` (and `preprocess`) with the file and line, exit status 1.
    @Test func badCorpusRowsNameFileAndLine() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let good = "\"3\",\"Wall St. Bears Claw Back\",\"Short-sellers are seeing green again.\"\n"
        try temporary.write("ag/test.csv", good + good)
        let config = try temporary.write("ag.json", """
            {"task": "text", "data": {"dataset": "ag_news", "path": "\(folder)/ag", "cache": "\(folder)/cache", "length": 130},
             "model": {"features": 8, "hidden_units": 16}, "optimizer": {"lr": 0.01}, "epochs": 1, "output": "\(folder)/run"}
            """)
        for (rows, message) in [(good + "\"7\",\"title\",\"text\"\n", "train.csv, line 2"),
                                (good + "\"2\",\"unterminated,\"text\n", "train.csv, line 2"),
                                (good + "\"1\",\"\",\"\"\n", "train.csv, line 2"),
                                (good + "\"1\",\"a\u{0}b\",\"text\"\n", "train.csv, line 2: not latin-1 or UTF-8 text")] {
            try temporary.write("ag/train.csv", Array(rows.utf8))
            for command in ["preprocess", "train"] {
                let run = try convrelu([command, "--config", config])
                #expect(run.status == 1, "\(command) with \(rows)")
                #expect(run.error.contains(message), "\(run.error)")
            }
        }
    }

    @Test func parameterCounts() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        let run = try convrelu(["params", "--config", config])
        #expect(run.status == 0)
        let conv2 = run.output.split(separator: "\n").first { $0.hasPrefix("conv2 ") }
        #expect(conv2?.contains("theta [8, 7]") == true, "\(run.output)")
        #expect(run.output.contains("total"))
    }

    /// The paper's Table 6, from flags alone.
    @Test(arguments: [("relu", nil, 1_035_268), ("prelu", "R1", 1_035_280), ("prelu", "A", 1_035_387), ("convrelu", "R1", 1_038_184)])
    func table6ParameterCounts(activation: String, placement: String?, total: Int) throws {
        let run = try convrelu(["params", "--model", "densenet_bc", "--classes", "100", "--activation", activation]
            + (placement.map { ["--placement", $0] } ?? []))
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.split(separator: "\n").last?.hasSuffix(" \(total)") == true, "\(run.output.suffix(80))")
    }
}

@Suite(.serialized) struct ImageCLITests {
    /// DenseNet-40 with ConvReLU in block 1 on a few real CIFAR-10 images: train, resume, eval.
    @Test func trainResumeEvaluateOnCIFAR() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = folder + "/cifar.json"
        try """
        {
          "task": "image",
          "data": {"dataset": "cifar10", "path": "\(Fixtures.dataFolder)/cifar-10-batches-bin", "train_limit": 32, "test_limit": 32},
          "model": {"name": "densenet40", "activation": "convrelu", "placement": "R1"},
          "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 0.0001},
          "schedule": {"name": "multistep", "milestones": [1], "factor": 0.1},
          "batch_size": 16,
          "epochs": 1,
          "output": "\(folder)/run"
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let first = try convrelu(["train", "--config", config])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("20000 training and 10000 test images"))
        let resumed = try convrelu(["train", "--config", config, "--resume", "--epochs", "2"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("lr 1.00e-02"), "the multi-step schedule lowers the rate at epoch 1")
        let evaluation = try convrelu(["eval", "--checkpoint", folder + "/run/last.safetensors", "--json"])
        #expect(evaluation.status == 0, "\(evaluation.error)")
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any]
        #expect((report?["total"] as? Int) == 32)
        #expect((report?["confusion"] as? [[Int]])?.count == 10)

        let parameters = try convrelu(["params", "--config", config])
        #expect(parameters.output.contains(String(1_019_722 + 8_856)))
    }
}

@Suite(.serialized) struct ArchiveInputTests {
    /// MR read straight from a tarball laid out like the official rt-polaritydata.tar.gz.
    @Test func trainsFromTheOfficialArchiveLayout() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let inner = folder + "/rt-polaritydata"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        for name in ["rt-polarity.pos", "rt-polarity.neg"] {
            try FileManager.default.copyItem(atPath: "\(Fixtures.dataFolder)/mr/\(name)", toPath: "\(inner)/\(name)")
        }
        try runCommand(["tar", "-czf", folder + "/rt-polaritydata.tar.gz", "-C", folder, "rt-polaritydata"])
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        let run = try convrelu(["train", "--config", config, "--data", folder + "/rt-polaritydata.tar.gz"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("test accuracy:"))
        #expect(run.output.contains("test 1047"))
    }
}
