#!/usr/bin/env bash
# Data-parallel training on this machine, as BENCHMARKS.md reports it (issue 12):
#   1. training throughput of 2 ranks × 1 thread (mpirun -np 2, each rank bound to a core)
#      against 1 process × 2 threads, interleaved A/B, for the char-CNN and DenseNet-40;
#   2. the gradient allreduce per step and how much of it backward hides: 2 ranks with the
#      buckets sent during backward (CONVRELU_MPI_OVERLAP=1) and after it (the default), interleaved;
#   3. MPI_Allreduce time by message size (convrelu bench --allreduce), for the scaling model.
# Every figure is the second epoch's (the first warms up); results go to $OUT (default results/mpi).
#   bench/mpi_throughput.sh [repetitions]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
out=${OUT:-results/mpi}
bin=.build/release/convrelu
mpirun=(mpirun --allow-run-as-root --oversubscribe)
# hwloc's GL plugin in mpirun probes X displays down to TCP 6000 + n and hangs on TensorBoard's 6006.
export HWLOC_COMPONENTS=-gl
data=${CONVRELU_DATA:-../shared/data}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The small char-CNN of Zhang et al. at length 1014 (11.3 M parameters) on MR sentences, and
# DenseNet-40 on CIFAR-10; no batch norm in the char-CNN and no dropout or augmentation, so the
# two set-ups do the same arithmetic.
cat > "$work/charcnn.json" <<JSON
{"task": "text",
 "data": {"dataset": "mr", "path": "$data/mr", "cache": "$work/cache", "length": 1014, "validation_fraction": 0, "train_limit": 512},
 "model": {"name": "charcnn", "features": 256, "hidden_units": 1024, "dropout": 0, "activation": "convrelu"},
 "optimizer": {"name": "sgd", "lr": 0.01}, "batch_size": 128, "epochs": 2, "output": "$work/run"}
JSON
cat > "$work/densenet40.json" <<JSON
{"task": "image",
 "data": {"dataset": "cifar10", "path": "$data/cifar-10-batches-bin", "train_limit": 256, "test_limit": 64, "augment": false},
 "model": {"name": "densenet40", "activation": "convrelu", "placement": "R1"},
 "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9}, "batch_size": 64, "epochs": 2, "output": "$work/run"}
JSON

# Runs one training and prints "samples/s allreduce-ms exposed-ms" of its second epoch.
train() {  # train <label> <config> <threads a rank> <launcher and binary...>
  local label=$1 config=$2 threads=$3; shift 3
  rm -rf "$work/run"
  "$@" train --config "$config" --threads "$threads" > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  local rate allreduce exposed
  rate=$(sed -n 2p "$work/run/metrics.jsonl" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["samples_per_second"], 2))')
  # One process logs no allreduce line: read then finds nothing.
  read -r allreduce exposed < <(grep '^allreduce:' "$work/log" | tail -1 | sed -E 's/allreduce: ([0-9.]+) ms .*, ([0-9.]+) ms of it.*/\1 \2/') || true
  echo "$label $rate ${allreduce:--} ${exposed:--}" | tee -a "$out/throughput.txt"
}

: > "$out/throughput.txt"
echo "model setup rep samples/s allreduce_ms_per_step not_hidden_ms_per_step" | tee -a "$out/throughput.txt"
for model in charcnn densenet40; do
  for rep in $(seq "$reps"); do
    train "$model 2x1-overlap $rep" "$work/$model.json" 1 "${mpirun[@]}" -np 2 -x CONVRELU_MPI_OVERLAP=1 "$bin"
    train "$model 1x2 $rep" "$work/$model.json" 2 "$bin"
    train "$model 2x1-after-backward $rep" "$work/$model.json" 1 "${mpirun[@]}" -np 2 "$bin"
  done
done
"${mpirun[@]}" -np 2 "$bin" bench --allreduce --json "$out/allreduce.json" | tee "$out/allreduce.txt"
