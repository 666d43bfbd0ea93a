#!/usr/bin/env python3
"""Peak memory of PyTorch training steps, for BENCHMARKS.md's memory rows.

The reference benchmark (../shared/bench/torch_reference.py) times PyTorch but does not report
memory, and its peak would mix several models in one process. This runs one model and one
variant per process, with the reference's own model definitions and training step, and prints
the resident-set high-water mark after the warm-up steps and after all steps (a run whose
memory is flat shows the same figure twice), as one JSON line.

    python bench/torch_peak_memory.py --model densenet --variant relu --steps 20
"""
import argparse
import json
import os
import resource
import sys


def rss_peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["densenet", "charcnn"], default="densenet")
    ap.add_argument("--variant", choices=["relu", "convrelu"], default="relu")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reference", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"),
                    help="folder holding torch_reference.py")
    args = ap.parse_args()
    sys.path.insert(0, args.reference)
    import torch
    import torch_reference as ref

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    convrelu = args.variant == "convrelu"
    if args.model == "densenet":
        batch = 64
        model = ref.DenseNet40(init_ch=16, convrelu_blocks=(0,) if convrelu else (), impl=ref.DEFAULT_IMPL["densenet"])
        x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    else:
        batch = 128
        model = ref.CharCNN(4, convrelu=convrelu, impl=ref.DEFAULT_IMPL["charcnn"])
        x, y = ref.onehot_text(batch), torch.randint(0, 4, (batch,))
    step = ref.make_train_step(model, x, y)
    for _ in range(args.warmup):
        step()
    after_warmup = rss_peak_mb()
    for _ in range(args.steps):
        step()
    print(json.dumps({"model": args.model, "variant": args.variant, "batch": batch, "steps": args.steps,
                      "peak_after_warmup_mb": round(after_warmup), "peak_mb": round(rss_peak_mb())}))


if __name__ == "__main__":
    main()
