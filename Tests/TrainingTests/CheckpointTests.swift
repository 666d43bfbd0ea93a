import Foundation
import Models
import NN
import Tensor
import TestSupport
import Testing
import Training

@Suite struct CheckpointTests {
    static func smallModel() -> CharCNN {
        var c = CharCNNConfiguration.small(alphabetSize: 10, length: 130, classes: 3)
        c.features = 4
        c.hiddenUnits = 8
        c.activation = ActivationPlan(.convReLU)
        c.batchNorm = true
        return CharCNN(c)
    }

    @Test func roundTripKeepsTensorsAndMetadata() throws {
        let model = Self.smallModel()
        InitializationScheme(weights: .heNormal, thresholds: .gaussian(std: 0.1)).apply(to: model.parameters, seed: 3)
        for b in model.buffers { for i in 0..<b.tensor.count { b.tensor[i] = Float(i) * 0.5 } }
        let sgd = SGD(momentum: 0.9)
        for p in model.parameters { p.parameter.grad.fill(0.01) }
        sgd.step(model.parameters, learningRate: 0.1)

        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let folder = temporary.path
        let path = folder + "/last.safetensors", statePath = folder + "/last.optimizer.safetensors"
        try Checkpoint(model: model, metadata: ["step": "7", "model": "{\"x\":1}"]).write(to: path)
        try TrainingState(optimizer: sgd, metadata: ["step": "7"]).write(to: statePath)

        let restored = Self.smallModel()
        let checkpoint = try Checkpoint.read(path: path)
        try checkpoint.restore(into: restored)
        let sgd2 = SGD(momentum: 0.9)
        let state = try TrainingState.read(path: statePath)
        try state.restore(optimizer: sgd2, parameters: restored.parameters)
        #expect(checkpoint.metadata["step"] == "7" && state.metadata["step"] == "7")
        #expect(checkpoint.metadata["model"] == "{\"x\":1}")
        #expect(sgd2.stepCount == 1)
        for (a, b) in zip(model.parameters, restored.parameters) { #expect(a.parameter.value.array == b.parameter.value.array, "\(a.name)") }
        for (a, b) in zip(model.buffers, restored.buffers) { #expect(a.tensor.array == b.tensor.array, "\(a.name)") }
        for (a, b) in zip(sgd.state, sgd2.state) { #expect(a.tensor.array == b.tensor.array, "\(a.name)") }
        // No temporary file is left beside the checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["last.optimizer.safetensors", "last.safetensors"])
    }

    /// The checkpoint is the model's state_dict and nothing else, so PyTorch's strict
    /// `load_state_dict` takes it; the optimiser state is only in the training state.
    @Test func checkpointHoldsExactlyTheStateDict() throws {
        let model = Self.smallModel()
        let adam = Adam()
        for p in model.parameters { p.parameter.grad.fill(0.01) }
        adam.step(model.parameters, learningRate: 0.1)
        let file = Checkpoint(model: model, metadata: [:]).file
        let stateDict = Set(model.parameters.map(\.name) + model.buffers.map(\.name))
        #expect(Set(file.names) == stateDict)
        #expect(stateDict.contains("bn1.running_mean") && stateDict.contains("conv2.theta"))
        let state = TrainingState(optimizer: adam, extra: [NamedBuffer("training.fc3.weight", Tensor(shape: [3, 8]))], metadata: [:]).file
        #expect(state.names.allSatisfy { $0.hasPrefix("optimizer.") || $0.hasPrefix("training.") })
        #expect(state.names.contains("optimizer.fc3.weight.exp_avg") && state.names.contains("training.fc3.weight"))
    }

    /// A model that lacks one of the checkpoint's tensors (a ReLU char-CNN offered a ConvReLU
    /// one's thresholds) is refused, as PyTorch's strict load refuses it; so is a training state
    /// with tensors the run does not use.
    @Test func restoringIntoAModelWithoutSomeTensorsFails() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let path = temporary.path + "/convrelu.safetensors"
        try Checkpoint(model: Self.smallModel(), metadata: [:]).write(to: path)
        var c = Self.smallModel().configuration
        c.activation = .relu
        let error = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: path).restore(into: CharCNN(c)) }
        #expect(error?.description.contains("'conv2.theta' that this model does not have") == true)

        let model = Self.smallModel(), sgd = SGD(momentum: 0.9)
        sgd.prepare(model.parameters)
        let statePath = temporary.path + "/state.safetensors"
        try TrainingState(optimizer: sgd, extra: [NamedBuffer("training.fc3.weight", Tensor(shape: [3, 8]))], metadata: [:]).write(to: statePath)
        let stateError = #expect(throws: SafetensorsError.self) {
            try TrainingState.read(path: statePath).restore(optimizer: SGD(momentum: 0.9), parameters: model.parameters)
        }
        #expect(stateError?.description.contains("'training.fc3.weight' that this run does not use") == true)
    }

    /// `eval --checkpoint last.optimizer.safetensors` and a checkpoint of the old single-file
    /// format each get a message saying what the file is.
    @Test func trainingStateAndOldFormatAreNamed() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let statePath = temporary.path + "/last.optimizer.safetensors"
        try TrainingState(optimizer: SGD(), metadata: [:]).write(to: statePath)
        let state = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: statePath) }
        #expect(state?.description.contains("give the run's last.safetensors or best.safetensors") == true)

        var old = Checkpoint(model: Self.smallModel(), metadata: [:]).file
        old.metadata["format"] = "convrelu-checkpoint/1"
        let oldPath = temporary.path + "/old.safetensors"
        try old.write(to: oldPath)
        let format = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: oldPath) }
        #expect(format?.description.contains("format 'convrelu-checkpoint/1'; this convrelu reads 'convrelu-checkpoint/2'") == true)
    }

    @Test func truncatedFileNamesTheFile() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let path = temporary.path + "/cut.safetensors"
        try Checkpoint(model: Self.smallModel(), metadata: [:]).write(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: path) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func foreignFilesNameTheFile() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let folder = temporary.path
        let text = folder + "/notes.txt"
        try "these are not tensors, just some text of a reasonable length".write(toFile: text, atomically: true, encoding: .utf8)
        let e1 = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: text) }
        #expect(e1?.description.hasPrefix(text) == true)

        // A valid safetensors file that is not a checkpoint (e.g. a fixture).
        var other = Safetensors()
        other.set("x", Tensor(shape: [2], values: [1, 2]))
        let foreign = folder + "/weights.safetensors"
        try other.write(to: foreign)
        let e2 = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: foreign) }
        #expect(e2?.description.contains("not a convrelu checkpoint") == true)

        let missing = folder + "/absent.safetensors"
        let e3 = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: missing) }
        #expect(e3?.description.hasPrefix(missing) == true)
    }

    @Test func restoringIntoAnotherShapeFails() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-checkpoint")
        let path = temporary.path + "/small.safetensors"
        try Checkpoint(model: Self.smallModel(), metadata: [:]).write(to: path)
        var c = CharCNNConfiguration.small(alphabetSize: 10, length: 130, classes: 5)
        c.features = 4
        c.hiddenUnits = 8
        c.batchNorm = true
        c.activation = ActivationPlan(.convReLU)
        let error = #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: path).restore(into: CharCNN(c)) }
        #expect(error?.description.contains("fc3.weight") == true)
    }
}
