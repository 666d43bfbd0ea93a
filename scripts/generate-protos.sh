#!/usr/bin/env bash
# Regenerates Sources/EventLog/tensorboard.pb.swift from tensorboard.proto (TensorBoard's event
# and summary messages, trimmed to what the training log writes). The generated file is
# committed, so building needs neither protoc nor the plugin; run this only after editing the
# .proto. Needs protoc (apt-get install protobuf-compiler) and protoc-gen-swift of the
# swift-protobuf release the package resolves (the runtime and the generator must match):
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/../Sources/EventLog"
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"
protoc --plugin=protoc-gen-swift="$plugin" --swift_out=. --swift_opt=Visibility=Package tensorboard.proto
