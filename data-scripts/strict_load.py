"""Usage: python data-scripts/strict_load.py CHECKPOINT (a Python with torch and safetensors; run from the repository root).

Strict load of a convrelu checkpoint into the PyTorch char-CNN of ../shared/bench/torch_reference.py,
then the same sentences through both: PyTorch's softmax against `convrelu classify --json`."""
import json, subprocess, sys
import torch
from safetensors import safe_open
from safetensors.torch import load_file
import os
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "bench"))
import torch_reference as ref

path = sys.argv[1]
with safe_open(path, "pt") as f:
    settings = json.loads(f.metadata()["settings"])
data, model_settings = settings["data"], settings["model"]
print("settings:", {k: model_settings[k] for k in ("alphabet", "length", "classes", "features", "hidden_units", "head", "activation", "placement", "batch_norm")})
assert (model_settings["features"], model_settings["hidden_units"], model_settings["head"], model_settings["batch_norm"]) == (256, 1024, "dense", False)
model = ref.CharCNN(n_classes=model_settings["classes"], alphabet=model_settings["alphabet"], length=model_settings["length"],
                    convrelu=model_settings["activation"] == "convrelu" and model_settings["placement"] == "paper")
result = model.load_state_dict(load_file(path))  # strict=True is the default
print("load_state_dict(strict=True):", result)
model.eval()

def one_hot(text):
    """The quantisation settings["data"]["input"] describes, for ASCII text."""
    rows = {}
    for row, ch in enumerate(data["alphabet_characters"]):
        rows[ch] = row  # a later listing wins ('-')
    x = torch.zeros(1, data["alphabet"], data["length"])
    for column, ch in enumerate(reversed(text.lower()[-data["length"]:])):
        if ch in rows:
            x[0, rows[ch], column] = 1
    return x

sentences = ["a gripping , funny film", "dull and lifeless", "the best movie of the year , by far !"]
swift = subprocess.run([os.path.join(ROOT, ".build", "release", "convrelu"), "classify", "--checkpoint", path, "--json"],
                       input="\n".join(sentences) + "\n", capture_output=True, text=True, check=True)
worst = 0.0
with torch.no_grad():
    for sentence, line in zip(sentences, swift.stdout.splitlines()):
        p_torch = torch.softmax(model(one_hot(sentence)), dim=1)[0].tolist()
        p_swift = json.loads(line)["probabilities"]
        worst = max(worst, max(abs(a - b) for a, b in zip(p_torch, p_swift)))
        print(f"{sentence!r}: torch {[round(p, 6) for p in p_torch]}  convrelu {[round(p, 6) for p in p_swift]}")
print("largest probability difference:", worst)
