#!/usr/bin/env python3
"""Accuracy of an MR checkpoint on the sentences of the full v1.0 release that a subset leaves out.

../shared/data/mr holds 5,231 + 5,231 of the release's 5,331 + 5,331 sentences; the other 200
were never in any fold, so no run trained, chose or tested on them. Given the full release
(`data-scripts/fetch.sh mr` writes data/mr) and the subset, this sends the left-out sentences
through `convrelu classify --json` and prints the accuracy per class and overall.

    data-scripts/mr_heldout.py --checkpoint runs/mr-convrelu/best.safetensors \
        --full data/mr --subset ../shared/data/mr [--json results/mr-heldout.json]
"""
import argparse
import collections
import json
import subprocess
import sys


def left_out(full_path, subset_path):
    """Lines of `full_path` not in `subset_path` (as a multiset), in release order, latin-1 bytes."""
    with open(subset_path, "rb") as f:
        kept = collections.Counter(f.read().split(b"\n"))
    out = []
    with open(full_path, "rb") as f:
        for line in f.read().split(b"\n"):
            if kept[line] > 0:
                kept[line] -= 1
            elif line.strip():
                out.append(line)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--full", required=True, help="folder of the full release (rt-polarity.pos/.neg)")
    parser.add_argument("--subset", required=True, help="folder of the subset the model was trained from")
    parser.add_argument("--convrelu", default=".build/release/convrelu")
    parser.add_argument("--json", help="also write the figures as JSON here")
    args = parser.parse_args()

    figures = {}
    correct_all = total_all = 0
    for label, name in [(1, "pos"), (0, "neg")]:
        lines = left_out(f"{args.full}/rt-polarity.{name}", f"{args.subset}/rt-polarity.{name}")
        if not lines:
            sys.exit(f"{args.full}/rt-polarity.{name}: no sentence outside {args.subset}; is --full the complete release?")
        # classify reads UTF-8 lines; the release is latin-1.
        text = b"\n".join(line.decode("latin-1").encode("utf-8") for line in lines) + b"\n"
        run = subprocess.run([args.convrelu, "classify", "--checkpoint", args.checkpoint, "--json"],
                             input=text, capture_output=True, check=True)
        answers = [json.loads(l) for l in run.stdout.decode().splitlines() if l.startswith("{")]
        if len(answers) != len(lines):
            sys.exit(f"classify answered {len(answers)} of {len(lines)} lines")
        correct = sum(a["label"] == label for a in answers)
        figures[name] = {"sentences": len(lines), "correct": correct, "accuracy": correct / len(lines)}
        correct_all += correct
        total_all += len(lines)
    figures["all"] = {"sentences": total_all, "correct": correct_all, "accuracy": correct_all / total_all}
    figures["checkpoint"] = args.checkpoint
    for name in ["pos", "neg", "all"]:
        f = figures[name]
        print(f"{name:>4}: {f['correct']} of {f['sentences']} correct, {100 * f['accuracy']:.1f}%")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
