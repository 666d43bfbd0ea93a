#!/usr/bin/env python3
"""Predicted data-parallel speed-up on 2-64 nodes, from this machine's measurements (issue 12).

Inputs (written by bench/mpi_throughput.sh into results/mpi):
  throughput.txt   one process × 2 threads: samples/s of the char-CNN and DenseNet-40, the
                   compute of one step on one node like this one (2 cores);
  allreduce.json   MPI_Allreduce time by message size between 2 ranks here (shared memory), from
                   which the per-call overhead of our path (latency term) is taken.

Model (weak scaling: every node keeps the config's batch, the global batch grows with N):
  ring allreduce of S bytes over N nodes at link bandwidth B, per-message latency a:
      T_comm(N) = 2 (N - 1) a  +  2 (N - 1) / N · S / B
  in buckets of 1 MiB (our bucket size) the latency term counts once per bucket.
  T_step(N) = t_compute + max(0, T_comm - h · t_backward)   with h = 1: backward hides what it can
  (backward is about 2/3 of a step), h = 0: nothing hidden (communication after backward).
  speed-up(N) = N · t_compute / T_step(N).
Links: 10 and 100 Gbit/s at 80% efficiency for TCP; a = 25 µs (TCP over 10 GbE) and 10 µs (100 GbE),
plus the per-call overhead measured here. Printed as Markdown for BENCHMARKS.md.
"""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "results/mpi"
models = {  # parameters, config batch
    "charcnn": (11_342_340, 128),
    "densenet40": (1_028_578, 64),
}
rates = {}
for line in open(os.path.join(out, "throughput.txt")):
    parts = line.split()
    if len(parts) >= 4 and parts[1] == "1x2":
        rates.setdefault(parts[0], []).append(float(parts[3]))
allreduce = json.load(open(os.path.join(out, "allreduce.json")))
local_overhead = min(r["microseconds"] for r in allreduce) * 1e-6  # smallest message: latency here

bucket = 1 << 20
nodes = (2, 4, 8, 16, 32, 64)


def comm_time(size, n, gbit, latency):
    """Ring allreduce of `size` bytes in 1 MiB buckets, each bucket its own ring."""
    bandwidth = gbit * 1e9 / 8 * 0.8
    buckets = -(-size // bucket)
    return buckets * 2 * (n - 1) * (latency + local_overhead) + 2 * (n - 1) / n * size / bandwidth


for title, strong in (("Weak scaling: every node keeps the config's batch (the global batch grows N-fold)", False),
                      ("Strong scaling: the config's global batch split over N nodes (compute per node shrinks N-fold)", True)):
    print(f"**{title}.**")
    print()
    print("| model | compute/step (1 node) | link | " + " | ".join(f"N={n}" for n in nodes) + " |")
    print("|---|---|---|" + "---|" * len(nodes))
    for name, (params, batch) in models.items():
        if name not in rates:
            continue
        rate = sorted(rates[name])[len(rates[name]) // 2]
        t_one = batch / rate
        size = params * 4
        for gbit, latency in ((10, 25e-6), (100, 10e-6)):
            cells = []
            for n in nodes:
                t_compute = t_one / n if strong else t_one
                t_backward = t_compute * 2 / 3
                comm = comm_time(size, n, gbit, latency)
                work = t_one if strong else n * t_one   # one node's time for the same samples
                hidden = work / (t_compute + max(0.0, comm - t_backward))
                exposed = work / (t_compute + comm)
                cells.append(f"{hidden:.1f} ({exposed:.1f})")
            print(f"| {name} | {t_one * 1000:.0f} ms ({batch} samples) | {gbit} Gbit/s | " + " | ".join(cells) + " |")
    print()
print(f"Cells: speed-up over one node with backward hiding the allreduce (in brackets: allreduce after "
      f"backward, our default). Per-call overhead measured here: {local_overhead * 1e6:.0f} µs; 1 MiB buckets; "
      f"{', '.join(f'{k} {v[0] / 1e6:.1f} M parameters' for k, v in models.items())}.")
