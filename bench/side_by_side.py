#!/usr/bin/env python3
"""Our engine next to PyTorch, in one run on one machine: the figures of BENCHMARKS.md.

Runs, one after another (never at the same time: the machine has two cores):
  1. the PyTorch reference (../shared/bench/torch_reference.py) for the char-CNN and DenseNet-40,
     as installed and with its tuned allocator (--tuned-malloc, glibc told to keep large blocks);
  2. `convrelu bench` for the same workloads (ReLU and ConvReLU models timed step by step in turn);
  3. peak memory of DenseNet-40 training, one model per process, for both engines
     (bench/torch_peak_memory.py, and `convrelu bench --activations X --kinds train`);
  4. the same training steps through torch.compile (../shared/bench/torch_compile_reference.py,
     eager and compiled interleaved), the strongest PyTorch a user would pick;
  5. preprocessing (ICU normalisation + quantisation) of an AG-sized CSV built from the real
     AG News rows in the data folder, repeated to the size of AG's train.csv (with the char-CNN).
Then prints the tables, with the ratios the performance issue sets targets for, as Markdown,
and writes every raw result as JSON into --out.

    python3 bench/side_by_side.py --torch-python $VENV/bin/python --out results/bench [--models densenet]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def torch_reference(args, model, tuned_malloc=False):
    out = os.path.join(args.out, f"torch-{model}{'-tuned-malloc' if tuned_malloc else ''}.json")
    run([args.torch_python, os.path.join(args.reference, "torch_reference.py"), "--model", model, "--json", out,
         "--steps", str(args.steps)] + (["--tuned-malloc"] if tuned_malloc else []), stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)[model]


def torch_rate(section, kind, variant):
    """samples/s of PyTorch's `kind` ('train', 'infer', 'latency') for 'relu' or 'convrelu'."""
    table = section["latency_b1" if kind == "latency" and "latency_b1" in section else kind]
    for name, value in table.items():
        if name.split()[1].startswith(variant):
            return value["samples_per_s"]
    raise KeyError(f"{kind} {variant}")


def torch_compiled(args, models):
    """Training samples/s per model of PyTorch eager and compiled: {"densenet": {"compiled relu": …}}."""
    out = os.path.join(args.out, "torch-compile.json")
    run([args.torch_python, os.path.join(args.reference, "torch_compile_reference.py"), "--models", ",".join(models),
         "--steps", str(args.steps), "--json", out], stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def ours(args, workloads, activations="relu,convrelu", kinds="train,infer,latency", steps=None, name=None):
    out = os.path.join(args.out, name or f"ours-{workloads}.json")
    run([args.convrelu, "bench", "--workloads", workloads, "--activations", activations, "--kinds", kinds,
         "--steps", str(steps or args.steps), "--json", out])
    with open(out) as f:
        return json.load(f)


def our_result(results, workload, kind, activation):
    return next(r for r in results if r["workload"] == f"{workload} {kind}" and r["activation"] == activation)


def preprocessing(args):
    """MB/s of `convrelu preprocess` on an AG-sized CSV made of real AG News rows."""
    source = os.path.join(args.data, "ag_news_csv")
    rows = b"".join(open(os.path.join(source, name), "rb").read() for name in ("train_combined.csv", "test.csv"))
    folder = tempfile.mkdtemp(prefix="ag-sized-")
    try:
        target = 29_470_338  # bytes of AG News' official train.csv
        with open(os.path.join(folder, "train.csv"), "wb") as f:
            written = 0
            while written < target:
                f.write(rows)
                written += len(rows)
        shutil.copy(os.path.join(source, "test.csv"), os.path.join(folder, "test.csv"))
        shutil.copy(os.path.join(source, "classes.txt"), os.path.join(folder, "classes.txt"))
        size = sum(os.path.getsize(os.path.join(folder, n)) for n in ("train.csv", "test.csv"))
        config = os.path.join(folder, "config.json")
        with open(os.path.join(ROOT, "configs", "ag_news-convrelu.json")) as f:
            spec = json.load(f)
        spec["data"]["path"] = folder
        spec["output"] = os.path.join(folder, "run")
        with open(config, "w") as f:
            json.dump(spec, f)
        start = time.perf_counter()
        run([args.convrelu, "preprocess", "--config", config], stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        return {"bytes": size, "seconds": seconds, "mb_per_s": size / 1e6 / seconds}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch-python", required=True, help="a Python with torch 2.13 CPU (see ../shared/bench/README.md)")
    ap.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--convrelu", default=os.path.join(ROOT, ".build", "release", "convrelu"))
    ap.add_argument("--steps", type=int, default=7, help="timed steps per measurement (medians are reported)")
    ap.add_argument("--memory-steps", type=int, default=20, help="training steps of the peak-memory runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "bench"))
    ap.add_argument("--models", default="charcnn,densenet", help="PyTorch reference names, comma-separated")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    models = args.models.split(",")
    names = {"charcnn": "charcnn", "densenet": "densenet40"}  # PyTorch reference name -> ours

    torch = {m: torch_reference(args, m) for m in models}
    tuned = {m: torch_reference(args, m, tuned_malloc=True) for m in models}
    engine = sum((ours(args, names[m]) for m in models), [])
    compiled = torch_compiled(args, models)
    memory = {}
    for variant in ("relu", "convrelu") if "densenet" in models else ():
        line = run([args.torch_python, os.path.join(ROOT, "bench", "torch_peak_memory.py"), "--model", "densenet",
                    "--variant", variant, "--steps", str(args.memory_steps), "--reference", args.reference],
                   capture_output=True, text=True).stdout.strip().splitlines()[-1]
        mine = ours(args, "densenet40", activations=variant, kinds="train", steps=args.memory_steps,
                    name=f"ours-densenet-memory-{variant}.json")[0]
        memory[variant] = {"torch": json.loads(line), "ours": mine}
    prep = preprocessing(args) if "charcnn" in models else None
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"memory": memory, "preprocessing": prep}, f, indent=1)

    for title, reference in (("PyTorch as installed", torch), ("PyTorch with the tuned allocator (--tuned-malloc)", tuned)):
        print(f"Against {title}; samples/s (latency: ms per sample), medians:\n")
        print("| workload | PyTorch ReLU | PyTorch ConvReLU | ours ReLU | ours ConvReLU | ours ConvReLU / PyTorch ReLU "
              "| ours ConvReLU / PyTorch ConvReLU | ConvReLU time / ReLU time (ours; PyTorch) |")
        print("|---|---|---|---|---|---|---|---|")
        for model in models:
            for kind in ("train", "infer", "latency"):
                try:
                    t_relu, t_conv = torch_rate(reference[model], kind, "relu"), torch_rate(reference[model], kind, "convrelu")
                except KeyError:
                    continue
                o_relu = our_result(engine, names[model], kind, "relu")["samples_per_second"]
                o_conv = our_result(engine, names[model], kind, "convrelu")["samples_per_second"]
                show = (lambda r: f"{1000 / r:.2f} ms") if kind == "latency" else (lambda r: f"{r:.1f}")
                print(f"| {names[model]} {kind} | {show(t_relu)} | {show(t_conv)} | {show(o_relu)} | {show(o_conv)} "
                      f"| {o_conv / t_relu:.2f}x | {o_conv / t_conv:.2f}x | {o_relu / o_conv:.2f}; {t_relu / t_conv:.2f} |")
        print()
    print("Training against the best PyTorch ReLU model, eager or torch.compile (the compile reference's own run, "
          "eager and compiled interleaved); samples/s, medians:\n")
    print("| workload | PyTorch ReLU eager | PyTorch ReLU compiled | PyTorch ConvReLU eager | PyTorch ConvReLU compiled "
          "| ours ReLU | ours ConvReLU | ours ConvReLU / best PyTorch ReLU |")
    print("|---|---|---|---|---|---|---|---|")
    for model in models:
        c = compiled[model]
        best = max(c["eager relu"], c["compiled relu"])
        o_relu = our_result(engine, names[model], "train", "relu")["samples_per_second"]
        o_conv = our_result(engine, names[model], "train", "convrelu")["samples_per_second"]
        print(f"| {names[model]} train | {c['eager relu']:.1f} | {c['compiled relu']:.1f} | {c['eager convrelu']:.1f} "
              f"| {c['compiled convrelu']:.1f} | {o_relu:.1f} | {o_conv:.1f} | {o_conv / best:.2f}x |")
    print()
    if memory:
        print("| DenseNet-40 training, batch 64 | PyTorch peak MB | ours peak MB | ours growth over the timed steps MB |")
        print("|---|---|---|---|")
        for variant, m in memory.items():
            print(f"| {variant} | {m['torch']['peak_mb']} (after warm-up {m['torch']['peak_after_warmup_mb']}) "
                  f"| {m['ours']['peak_memory_mb']:.0f} | {m['ours']['peak_growth_mb']:.0f} |")
        print()
    if prep:
        print(f"Preprocessing of an AG-sized CSV ({prep['bytes'] / 1e6:.1f} MB): {prep['seconds']:.2f} s, "
              f"{prep['mb_per_s']:.1f} MB/s")


if __name__ == "__main__":
    main()
