#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus/<target>/: small valid inputs and near misses.

Run from the repository root: python3 Fuzz/make_corpus.py. Real data comes from ../shared/data
(a few lines or one record each); everything else is built here. The output is committed, so
this script only needs to run again when a seed is added.
"""
import gzip
import io
import json
import os
import shutil
import struct
import tarfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def head_lines(path, count):
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(count))


SMALL_CONFIG = {
    "task": "text",
    "data": {"dataset": "mr", "path": "data/mr", "cache": "cache", "length": 130},
    "model": {"name": "charcnn", "features": 8, "hidden_units": 16, "activation": "convrelu"},
    "optimizer": {"name": "adam", "lr": 0.001},
    "batch_size": 16, "epochs": 1, "seed": 1, "output": "runs/x",
}


def safetensors(tensors, metadata):
    """tensors: name -> (dtype, shape, raw bytes), laid out in name order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def checkpoints():
    floats = lambda *v: struct.pack("<%df" % len(v), *v)
    tensors = {
        "conv.weight": ("F32", [2, 1, 3], floats(0.5, -1, 2, 0, 1.5, -0.25)),
        "conv.bias": ("F64", [2], struct.pack("<2d", 0.1, -0.1)),
        "bn.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
        "steps": ("I32", [2], struct.pack("<2i", 1, 2)),
        "mask": ("U8", [3], b"\x01\x00\x01"),
    }
    meta = {"format": "convrelu-checkpoint/2", "config": json.dumps(SMALL_CONFIG), "overrides": "{}", "epoch": "1"}
    good = safetensors(tensors, meta)
    write("checkpoint", "valid", good)
    write("checkpoint", "valid-no-config", safetensors({"w": ("F32", [1], floats(1))}, {"format": "convrelu-checkpoint/2"}))
    write("checkpoint", "training-state", safetensors({"m": ("F32", [1], floats(1))}, {"format": "convrelu-training-state/1"}))
    write("checkpoint", "old-format", safetensors({"w": ("F32", [1], floats(1))}, {"format": "convrelu-checkpoint/1"}))
    write("checkpoint", "no-metadata", safetensors({"w": ("F32", [1], floats(1))}, None))
    write("checkpoint", "truncated", good[:-5])
    write("checkpoint", "short", good[:6])
    bad = safetensors({"w": ("F32", [2], floats(1, 2))}, {"format": "convrelu-checkpoint/2"})
    write("checkpoint", "bad-offsets", bad.replace(b"[0, 8]", b"[4, 8]"))


def text_csv():
    write("text-csv", "ag-head", head_lines(os.path.join(SHARED, "ag_news_csv", "test.csv"), 4))
    write("text-csv", "yelp-head", head_lines(os.path.join(SHARED, "yelp_review_full_csv", "test_head5.csv"), 2)[:3000])
    write("text-csv", "quoting", b'"1","A ""quoted"" title","line one\\nline two"\r\n"4","x","y"\n')
    write("text-csv", "latin1", b'"2","caf\xe9","na\xefve r\xe9sum\xe9"\n')
    write("text-csv", "utf8", '"3","Zürich – 東京","naïve ☃ \U0001F600"\n')
    write("text-csv", "bad-label", b'"9","t","d"\n"0","t","d"\n')
    write("text-csv", "unterminated", b'"1","open quote,"d\n')
    write("text-csv", "yelp", b'"5","great place, would ""eat"" again"\n"1",bare field\n')


def text_classes():
    write("text-classes", "mr-neg-head", head_lines(os.path.join(SHARED, "mr", "rt-polarity.neg"), 6))
    write("text-classes", "mr-pos-head", head_lines(os.path.join(SHARED, "mr", "rt-polarity.pos"), 6))
    write("text-classes", "crlf-empty", b"first line\r\n\r\nthird\r\nno newline at end")
    write("text-classes", "control-byte", b"ok line\nbad \x01 line\n")


def tar_bytes(format, members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=format) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("folder")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
    return out.getvalue()


def archives():
    members = [("data/a.txt", b"hello\n"), ("data/b.bin", bytes(range(40)))]
    long_name = "d/" + "x" * 120 + ".txt"
    plain = tar_bytes(tarfile.USTAR_FORMAT, members)
    write("archive", "ustar.tar", plain)
    write("archive", "gnu-long-name.tar", tar_bytes(tarfile.GNU_FORMAT, [(long_name, b"long\n")]))
    write("archive", "pax.tar", tar_bytes(tarfile.PAX_FORMAT, [(long_name, b"pax\n")]))
    write("archive", "ustar.tar.gz", gzip.compress(plain, mtime=0))
    write("archive", "cut.tar.gz", gzip.compress(plain, mtime=0)[:-6])
    write("archive", "text.gz", gzip.compress(b"some text\n" * 20, mtime=0))
    write("archive", "two-members.gz", gzip.compress(b"one\n", mtime=0) + gzip.compress(b"two\n", mtime=0) + b"\0\0")
    write("archive", "zlib", zlib.compress(b"zlib stream " * 10))
    write("archive", "bad-checksum.tar", plain[:148] + b"0000000\0" + plain[156:])


def cifar():
    with gzip.open(os.path.join(SHARED, "cifar-10-batches-bin", "test_batch.bin.gz"), "rb") as f:
        write("cifar", "cifar10-record", f.read(3073))
    with gzip.open(os.path.join(SHARED, "cifar-100-binary", "test.bin.gz"), "rb") as f:
        write("cifar", "cifar100-record", f.read(3074))
    write("cifar", "bad-label", b"\x0c" + bytes(3072))
    write("cifar", "partial", bytes(100))


def configs():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs")
    for name in ["mr-convrelu.json", "ag_news-convrelu.json", "cifar10-budget-convrelu.json"]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            write("config", name, open(path, "rb").read())
    write("config", "small-text.json", json.dumps(SMALL_CONFIG, indent=1))
    write("config", "misspelt-key.json", json.dumps(dict(SMALL_CONFIG, epochz=3)))
    write("config", "wrong-type.json", json.dumps(dict(SMALL_CONFIG, batch_size="16")))
    write("config", "not-object.json", "[1, 2, 3]")


def classify():
    write("classify", "sentences", "a gripping, beautifully shot film\nthe plot never comes together\n")
    write("classify", "unicode-crlf", "Zürich café ☃\r\nnaïve – 東京 \U0001F600\r\n\r\n")
    write("classify", "invalid-utf8", b"bad \xff\xfe bytes\nnul \x00 inside\n")
    write("classify", "long-line", ("word " * 300).encode())


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    for make in [checkpoints, text_csv, text_classes, archives, cifar, configs, classify]:
        make()
