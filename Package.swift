// swift-tools-version:6.0
import PackageDescription

// Dependency order: system libraries and C kernels -> Tensor -> Kernels -> NN -> Models -> data -> Distributed -> Training (+ EventLog) -> CLI.
let package = Package(
    name: "ConvReLU",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "convrelu", targets: ["convrelu"]),
        .executable(name: "convrelu-fuzz", targets: ["convrelu-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The runtime of the committed TensorBoard message code (Sources/EventLog/tensorboard.pb.swift).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries: module maps only.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // ICU is seen only by the C shim: a Swift module that sees both ICU and Foundation fails to compile.
        .systemLibrary(name: "CICU", path: "Sources/CICU", pkgConfig: "icu-i18n",
                       providers: [.apt(["libicu-dev"])]),
        .target(name: "CICUShim", dependencies: ["CICU"]),
        // Vectorised C kernels (direct skinny convolutions, column rows), built per instruction set and picked at run time.
        .target(name: "CKernels"),
        // Open MPI, opened with dlopen() only in a process started by mpirun: nothing is linked,
        // and no MPI header or library is needed to build.
        .target(name: "CMPIShim"),

        .target(name: "Tensor"),
        .target(name: "Kernels", dependencies: ["Tensor", "CBLAS", "CKernels"]),
        .target(name: "NN", dependencies: ["Tensor", "Kernels"]),
        .target(name: "Models", dependencies: ["Tensor", "Kernels", "NN"]),
        .target(name: "Archive", dependencies: ["CZlib"]),
        .target(name: "TextData", dependencies: ["Tensor", "Archive", "CICUShim"]),
        .target(name: "ImageData", dependencies: ["Tensor", "Archive"]),
        // Ranks of an mpirun job and their collectives (a single rank without mpirun).
        .target(name: "Distributed", dependencies: ["CMPIShim"]),
        .target(name: "Training", dependencies: ["Tensor", "Kernels", "NN", "Models", "Distributed"]),
        // TensorBoard event files: record framing, CRC-32C, histograms, the trimmed event protos.
        .target(name: "EventLog", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["tensorboard.proto"]),
        // Run configurations, data sources and the commands behind the CLI.
        .target(name: "Experiments", dependencies: ["Tensor", "Kernels", "NN", "Models", "TextData", "ImageData", "Distributed", "Training",
                                                    "EventLog"]),
        // Helpers shared by the test targets: fixture lookup and tolerance checks.
        .target(name: "TestSupport", dependencies: ["Tensor"]),
        .executableTarget(name: "convrelu", dependencies: [
            "Experiments", "Kernels", "Distributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz targets for the parsers of untrusted input: replays saved inputs in a plain build,
        // libFuzzer's entry points with `-D FUZZING` (scripts/fuzz.sh).
        .executableTarget(name: "convrelu-fuzz", dependencies: ["Tensor", "Archive", "TextData", "ImageData", "Training", "Experiments"],
                          path: "Sources/Fuzz"),

        .testTarget(name: "TensorTests", dependencies: ["TestSupport", "Tensor"]),
        .testTarget(name: "KernelsTests", dependencies: ["TestSupport", "Tensor", "Kernels", "CKernels"]),
        .testTarget(name: "NNTests", dependencies: ["TestSupport", "Tensor", "Kernels", "NN"]),
        .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Tensor", "NN", "Models"]),
        .testTarget(name: "ArchiveTests", dependencies: ["TestSupport", "Archive", "CZlib"]),
        .testTarget(name: "TextDataTests", dependencies: ["TestSupport", "Tensor", "Archive", "TextData"]),
        .testTarget(name: "ImageDataTests", dependencies: ["TestSupport", "Tensor", "Archive", "ImageData"]),
        .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Tensor", "NN", "Models", "Training"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["TestSupport", "Models", "Training", "Experiments"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Tensor", "convrelu"]),
        .testTarget(name: "FuzzTests", dependencies: ["TestSupport", "convrelu-fuzz"]),
    ]
)
