#if FUZZING
import Foundation

// libFuzzer, linked without its own main() (libclang_rt.fuzzer_no_main, see scripts/fuzz.sh), so
// that the one command line above chooses the target and hands libFuzzer the rest of it.

private typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                 _ callback: TestOneInput) -> Int32

/// The target libFuzzer calls; a C callback captures nothing, so it lives here.
nonisolated(unsafe) private var fuzzedHarness: FuzzHarness?

/// Runs libFuzzer's driver on `harness` with `arguments` (argv[0] first); returns its status.
func runLibFuzzer(_ harness: FuzzHarness, arguments: [String]) -> Int32 {
    fuzzedHarness = harness
    var argc = Int32(arguments.count)
    // Kept for the whole process: libFuzzer may hold on to argv.
    let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
    for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
    argv[arguments.count] = nil
    var argvPointer = argv
    return LLVMFuzzerRunDriver(&argc, &argvPointer) { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        try? fuzzedHarness!.run(bytes, name: "fuzz-input")
        return 0
    }
}
#endif
