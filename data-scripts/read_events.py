#!/usr/bin/env python3
"""Reads a run folder's TensorBoard event files with TensorBoard's own reader (EventAccumulator)
and prints what it found as one JSON object: per scalar tag its (step, value) points, per
histogram tag its (step, count, min, max, buckets) records. The CLI test checks this output, so it
is TensorBoard, not our writer, that says what the files hold.

    .venv/bin/python data-scripts/read_events.py RUN_FOLDER
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main(folder):
    # size_guidance 0: keep every event (the default samples scalars down to 10 000, histograms to 500).
    acc = EventAccumulator(folder, size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    out = {
        "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
        "histograms": {
            t: [
                {
                    "step": e.step,
                    "num": e.histogram_value.num,
                    "min": e.histogram_value.min,
                    "max": e.histogram_value.max,
                    "bucket_limit": list(e.histogram_value.bucket_limit),
                    "bucket": list(e.histogram_value.bucket),
                }
                for e in acc.Histograms(t)
            ]
            for t in tags["histograms"]
        },
    }
    json.dump(out, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: read_events.py RUN_FOLDER")
    main(sys.argv[1])
