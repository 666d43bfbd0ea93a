#!/usr/bin/env python3
"""What watching a run costs, measured (issue 13): the TensorBoard event log during training, and
the dead-unit probes on the validation pass.

1. Training, interleaved A/B: ROUNDS rounds, each training the same short MR run (a config's
   copy with `train_limit` sentences and EPOCHS epochs) with the log on and off, in ABBA order,
   into fresh folders. Per arm: training samples/s from metrics.jsonl (the steps only, evaluation
   excluded), and with the log on the log's own time as a share of the training steps' time,
   which `convrelu train` measures and prints ("TensorBoard log: ... % of ...").
2. The validation pass: `convrelu bench --kinds infer,monitored_infer` ROUNDS times, inference
   with and without the probes attached, for the char-CNN and DenseNet-40.

    python3 bench/tensorboard_overhead.py [--convrelu .build/release/convrelu] [--rounds 3]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile


def train(args, config, folder, logging_on):
    env = dict(os.environ, CONVRELU_TENSORBOARD="1" if logging_on else "0")
    out = subprocess.run([args.convrelu, "train", "--config", config, "--output", folder, "--threads", str(args.threads)],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stdout + out.stderr)
    with open(os.path.join(folder, "metrics.jsonl")) as f:
        speeds = [json.loads(line)["samples_per_second"] for line in f if line.strip()]
    share = re.search(r"TensorBoard log: ([0-9.]+) ms in all, ([0-9.]+)% of", out.stdout + out.stderr)
    return statistics.mean(speeds), (float(share.group(2)) if share else None)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--convrelu", default=".build/release/convrelu")
    p.add_argument("--config", default="configs/mr-convrelu.json")
    p.add_argument("--data", default="../shared/data/mr")
    p.add_argument("--train-limit", type=int, default=3000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="tb-overhead-")
    with open(args.config) as f:
        config = json.load(f)
    config["data"]["path"] = os.path.abspath(args.data)
    config["data"]["train_limit"] = args.train_limit
    config["epochs"] = args.epochs
    config_path = os.path.join(work, "config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)

    speeds = {True: [], False: []}
    shares = []
    train(args, config_path, os.path.join(work, "warm-up"), False)  # builds the text cache once
    for r in range(args.rounds):
        for on in ([True, False] if r % 2 == 0 else [False, True]):
            speed, share = train(args, config_path, os.path.join(work, f"run-{r}-{on}"), on)
            speeds[on].append(speed)
            if on:
                shares.append(share)
            print(f"round {r + 1} log {'on ' if on else 'off'}: {speed:7.1f} training samples/s"
                  + (f", log {share:.3f}% of the steps' time" if on else ""), flush=True)
    ratios = [a / b for a, b in zip(speeds[True], speeds[False])]
    print(f"training samples/s, log on / off: median ratio {statistics.median(ratios):.3f} "
          f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)})")
    print(f"the log's own time, share of the training steps: median {statistics.median(shares):.3f}% "
          f"(max {max(shares):.3f}%)")

    for r in range(args.rounds):
        out = subprocess.run([args.convrelu, "bench", "--workloads", "charcnn,densenet40", "--activations", "relu,convrelu",
                              "--kinds", "infer,monitored_infer", "--steps", "3", "--warmup", "1", "--threads", str(args.threads)],
                             capture_output=True, text=True)
        lines = [l for l in out.stdout.splitlines() if " infer" in l]
        print(f"bench round {r + 1}:")
        print("\n".join("  " + l for l in lines))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
