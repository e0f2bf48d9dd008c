#!/usr/bin/env bash
# `make demo`: the whole system on one machine. Filled in step by step as the issues land; today it says
# what it will do and runs the parts that exist.
set -euo pipefail
cd "$(dirname "$0")/.."
cat <<'MSG'
ConfigSpec demo — what it will do once every part has landed:
  1. build the local control plane from Go modules (cached under ~/.cache/configspec) and start it;
  2. apply a simulated fleet (Raspberry Pi 4/5, Jetson Orin Nano, Jetson AGX Orin, GPU nodes);
  3. generate tiny GGUF models, install the operator, apply a sample SpecDecodeDeployment;
  4. wait for profiling (real llama.cpp on this machine) and selection;
  5. print per device class the chosen draft, quantisation and K, and why;
  6. send one prompt through the drafter with the official openai client and print the answer and goodput.
MSG
