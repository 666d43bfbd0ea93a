#!/usr/bin/env python3
"""The paper's Figures 5 and 6 and a dead-unit chart, as PNG, from run folders and checkpoints.

    curves      Figure 5: accuracy per epoch of several runs, one panel per --panel, side by side;
                a label matching several metrics.jsonl files (folds, seeds) draws their mean and
                shades their range.
    thetas      Figure 6: histograms of the learned thresholds θ, one panel per threshold tensor
                (layer) of a checkpoint (.safetensors, read with numpy).
    dead-units  the share of dead units per activation at an epoch (default: the last), one bar
                per run and activation, from metrics.jsonl.

    .venv/bin/python data-scripts/figures.py curves --out results/figures/accuracy.png \\
        --panel "MR, fold 0-9" validation_accuracy "ReLU=results/cv/mr-relu/*/metrics.jsonl" \\
                "ConvReLU=results/cv/mr-convrelu/*/metrics.jsonl"
    .venv/bin/python data-scripts/figures.py thetas --out results/figures/thetas.png runs/mr-convrelu/best.safetensors
    .venv/bin/python data-scripts/figures.py dead-units --out results/figures/dead.png \\
        ReLU=runs/mr-relu/metrics.jsonl ConvReLU=runs/mr-convrelu/metrics.jsonl
"""
import argparse
import glob
import json
import math
import struct
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

METRIC_NAMES = {
    "validation_accuracy": "validation accuracy",
    "test_accuracy": "test accuracy",
    "train_accuracy": "training accuracy",
    "train_loss": "training loss",
}


def read_metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def labelled_paths(spec):
    """LABEL=GLOB -> (label, sorted paths); a folder means its metrics.jsonl."""
    if "=" not in spec:
        sys.exit(f"{spec}: expected LABEL=PATH_OR_GLOB")
    label, pattern = spec.split("=", 1)
    paths = sorted(glob.glob(pattern))
    paths = [p if p.endswith(".jsonl") else p.rstrip("/") + "/metrics.jsonl" for p in paths]
    if not paths:
        sys.exit(f"{pattern}: no such file")
    return label, paths


def curves(args):
    panels = args.panel
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (title, metric, *runs) in zip(axes[0], panels):
        for spec in runs:
            label, paths = labelled_paths(spec)
            series = [[(r["epoch"], r[metric]) for r in read_metrics(p) if r.get(metric) is not None] for p in paths]
            series = [s for s in series if s]
            if not series:
                sys.exit(f"{spec}: no '{metric}' in {paths[0]}")
            epochs = sorted({e for s in series for e, _ in s})
            table = [[dict(s).get(e) for s in series] for e in epochs]
            mean = [np.mean([v for v in row if v is not None]) * 100 for row in table]
            low = [min(v for v in row if v is not None) * 100 for row in table]
            high = [max(v for v in row if v is not None) * 100 for row in table]
            runs_note = f" (mean of {len(series)} runs)" if len(series) > 1 else ""
            (line,) = ax.plot(epochs, mean, marker="o", markersize=3, label=label + runs_note)
            if len(series) > 1:
                ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(METRIC_NAMES.get(metric, metric) + " (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(args.out, dpi=args.dpi)


def read_safetensors(path):
    """name -> float32 array, from the format itself: a little-endian u64 header length, the
    JSON header, then the tensors' bytes at their data_offsets."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"])
    return tensors


def thetas(args):
    tensors = read_safetensors(args.checkpoint)
    names = [n for n in tensors if n.endswith(".theta")]
    if not names:
        sys.exit(f"{args.checkpoint}: no threshold tensors (*.theta): not an AdaReLU or ConvReLU model")
    names.sort(key=lambda n: [int(t) if t.isdigit() else t for t in __import__("re").split(r"(\d+)", n)])
    columns = min(len(names), args.columns)
    rows = math.ceil(len(names) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.7 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        values = tensors[name].ravel()
        ax.hist(values, bins=args.bins, color="tab:orange")
        ax.axvline(0, color="black", linewidth=0.8)
        shape = "×".join(str(d) for d in tensors[name].shape)
        ax.set_title(f"{name} ({shape})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.text(0.98, 0.95, f"mean {values.mean():+.3f}\nsd {values.std():.3f}", transform=ax.transAxes,
                ha="right", va="top", fontsize=7)
    if args.title:
        fig.suptitle(args.title, fontsize=10)
    fig.supxlabel("θ", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=args.dpi)


def dead_units(args):
    runs = []
    for spec in args.runs:
        label, paths = labelled_paths(spec)
        lines = [r for r in read_metrics(paths[0]) if r.get("dead_units")]
        if not lines:
            sys.exit(f"{paths[0]}: no dead_units (written by runs since issue 13, with a validation split)")
        line = lines[-1] if args.epoch is None else next((r for r in lines if r["epoch"] == args.epoch), None)
        if line is None:
            sys.exit(f"{paths[0]}: no epoch {args.epoch}")
        runs.append((f"{label} (epoch {line['epoch']})", line["dead_units"]))
        # 'sites' below: every activation any run reports, in network order.
    sites = []
    for _, dead in runs:
        sites += [s for s in dead if s not in sites]
    sites.sort(key=lambda n: [int(t) if t.isdigit() else t for t in __import__("re").split(r"(\d+)", n)])
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(min(16, max(6, 0.5 * len(sites) * len(runs) + 2)), 4.2))
    for i, (label, dead) in enumerate(runs):
        xs = [k + (i - (len(runs) - 1) / 2) * width for k in range(len(sites))]
        heights = [dead.get(s, float("nan")) * 100 for s in sites]
        bars = ax.bar(xs, heights, width, label=label)
        if len(sites) * len(runs) <= 24:
            ax.bar_label(bars, labels=[f"{h:.2f}" for h in heights], fontsize=7, padding=1)
    top = max((v * 100 for _, dead in runs for v in dead.values()), default=0)
    ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)
    ax.set_xticks(range(len(sites)))
    ax.set_xticklabels(sites, rotation=45 if len(sites) > 10 else 0, ha="right" if len(sites) > 10 else "center", fontsize=8)
    ax.set_ylabel("dead units (%)")
    if args.title:
        ax.set_title(args.title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=args.dpi)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("curves", help="Figure 5: accuracy per epoch")
    c.add_argument("--panel", nargs="+", action="append", required=True, metavar="TITLE METRIC LABEL=GLOB",
                   help="a panel: its title, the metrics.jsonl key to plot, then LABEL=GLOB per curve")
    t = sub.add_parser("thetas", help="Figure 6: θ histograms per layer")
    t.add_argument("checkpoint")
    t.add_argument("--bins", type=int, default=40)
    t.add_argument("--columns", type=int, default=4)
    t.add_argument("--title")
    d = sub.add_parser("dead-units", help="dead units per activation")
    d.add_argument("runs", nargs="+", metavar="LABEL=RUN_OR_METRICS")
    d.add_argument("--epoch", type=int)
    d.add_argument("--title")
    for p in (c, t, d):
        p.add_argument("--out", required=True)
        p.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args()
    for panel in getattr(args, "panel", None) or []:
        if len(panel) < 3:
            parser.error(f"--panel {' '.join(panel)}: needs TITLE METRIC and at least one LABEL=GLOB")
    {"curves": curves, "thetas": thetas, "dead-units": dead_units}[args.command](args)


if __name__ == "__main__":
    main()
