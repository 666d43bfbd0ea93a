import Foundation
import Tensor
import TestSupport
import Testing

/// The Python of the virtual environment that `scripts/setup.sh` makes with TensorBoard in it
/// (`CONVRELU_PYTHON` to use another).
let tensorBoardPython = ProcessInfo.processInfo.environment["CONVRELU_PYTHON"] ?? ".venv/bin/python"

/// What TensorBoard's own reader finds in a run folder (`data-scripts/read_events.py`).
struct TensorBoardView: Decodable {
    struct HistogramRecord: Decodable {
        var step: Int
        var num: Double
        var min: Double
        var max: Double
        var bucket: [Double]
    }
    var scalars: [String: [[Double]]]
    var histograms: [String: [HistogramRecord]]

    init(folder: String) throws {
        guard FileManager.default.isExecutableFile(atPath: tensorBoardPython) else {
            throw TestFailure("\(tensorBoardPython) is missing: run scripts/setup.sh, which makes the virtual environment with TensorBoard")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tensorBoardPython)
        process.arguments = ["data-scripts/read_events.py", folder]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("read_events.py failed: \(problems)") }
        self = try JSONDecoder().decode(TensorBoardView.self, from: data)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite(.serialized) struct TensorBoardCLITests {
    /// 96 sentences in batches of 8: 12 steps an epoch, so one point of the step curves every 10
    /// steps lands in each epoch.
    func config(folder: String) -> String {
        """
        {
          "task": "text",
          "data": {"dataset": "mr", "path": "\(Fixtures.dataFolder)/mr", "cache": "\(folder)/cache", "length": 130,
                   "validation_fraction": 0.05, "train_limit": 96},
          "model": {"name": "charcnn", "features": 8, "hidden_units": 16, "batch_norm": true, "activation": "convrelu"},
          "optimizer": {"name": "adam", "lr": 0.001},
          "batch_size": 8,
          "epochs": 2,
          "seed": 3,
          "test_each_epoch": true,
          "output": "\(folder)/run"
        }
        """
    }

    @Test func tensorBoardReadsTheRunsScalarsAndThresholdHistograms() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-tensorboard")
        let config = try temporary.write("mr.json", config(folder: temporary.path))
        let run = try convrelu(["train", "--config", config])
        try #require(run.status == 0, "\(run.error)")
        let folder = temporary.path + "/run"
        let eventFiles = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(eventFiles.count == 1)

        let view = try TensorBoardView(folder: folder)
        let metrics = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(metrics.count == 2)
        // Step curves: one point per 10 steps (steps 10 and 20 of 24).
        for tag in ["train/loss", "train/accuracy", "train/learning_rate", "train/samples_per_second"] {
            let points = view.scalars[tag] ?? []
            #expect(points.map { Int($0[0]) } == [10, 20], "\(tag)")
            #expect(points.allSatisfy { $0[1].isFinite && $0[1] >= 0 }, "\(tag)")
        }
        #expect(view.scalars["train/learning_rate"]?.map { $0[1] } == [Double(Float(0.001)), Double(Float(0.001))])
        // Epoch scalars at each epoch's last step, equal to metrics.jsonl's values (as float32).
        for (tag, key) in [("validation/accuracy", "validation_accuracy"), ("test/accuracy", "test_accuracy"),
                           ("epoch/train_loss", "train_loss"), ("dead_units/site1", "dead_units.site1")] {
            let points = view.scalars[tag] ?? []
            #expect(points.map { Int($0[0]) } == [12, 24], "\(tag)")
            let expected = metrics.map { line -> Double in
                let parts = key.split(separator: ".").map(String.init)
                let value = parts.count == 1 ? line[key] : (line[parts[0]] as? [String: Any])?[parts[1]]
                return Double(Float((value as? Double) ?? .nan))
            }
            #expect(points.map { $0[1] } == expected, "\(tag)")
        }
        // θ histograms, one per epoch and threshold tensor, the last one of the last checkpoint's θ.
        let checkpoint = try Safetensors.read(path: folder + "/last.safetensors")
        for name in ["conv2.theta", "conv3.theta"] {
            let records = view.histograms["theta/\(name)"] ?? []
            #expect(records.map(\.step) == [12, 24], "\(name)")
            let theta = try checkpoint.tensor(name).array
            let last = try #require(records.last)
            #expect(last.num == Double(theta.count) && last.bucket.reduce(0, +) == Double(theta.count))
            #expect(last.min == Double(theta.min()!) && last.max == Double(theta.max()!))
        }
        // The inputs of all eight activation sites, sampled over the validation pass.
        #expect((1...8).allSatisfy { view.histograms["activation_input/site\($0)"]?.count == 2 })
    }

    @Test func switchedOffWritesNoEvents() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-tensorboard")
        let config = try temporary.write("mr.json", config(folder: temporary.path))
        let run = try convrelu(["train", "--config", config, "--epochs", "1"], environment: ["CONVRELU_TENSORBOARD": "0"])
        try #require(run.status == 0, "\(run.error)")
        let files = try FileManager.default.contentsOfDirectory(atPath: temporary.path + "/run")
        #expect(!files.contains { $0.hasPrefix("events.out.tfevents.") })
        #expect(files.contains("metrics.jsonl"))
    }
}
