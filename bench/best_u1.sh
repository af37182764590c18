#!/usr/bin/env bash
# I-AutoRec on MovieLens 100K, canonical split u1.base / u1.test, with the settings chosen
# on a validation carve-out only (issue 4, item 9).
#
# usage: bench/best_u1.sh ML100K_DIR      (the directory holding u1.base and u1.test)
# The JSON summary of the run is the last line printed.
#
# Settings: I-AutoRec, hidden 500, sigmoid encoder / identity decoder, Adam lr 3e-3 decayed
# x0.97 per epoch, batch 256, L2 1e-3, hidden-layer dropout 0.6, input (denoising) dropout
# 0.2, seed 1 (the default); up to 200 epochs with early stopping (--patience 20) on the
# validation RMSE; the default (sparse) kernels.
# How they were chosen: 5% of u1.base is carved out as a validation set (--valid-ratio 0.05,
# seeded by --seed 1); every candidate was compared by best_valid_rmse only, the test split
# was never used to choose. The sweeps (90 runs: L2, dropout, input dropout, hidden size,
# stacks, learning-rate schedules, activations) and every run's figures are in
# docs/experiments.md.
# Measured (2026-11-28, 2-core AMD EPYC VM, PoCL 3.1, commit b566fa3): best validation RMSE
#   0.8885 at epoch 97 (stopped after epoch 117); test RMSE at that epoch
#   (selected_test_rmse) 0.9023, after the last epoch 0.9028.
#   This does NOT reach the issue's target of test RMSE <= 0.895 (see docs/experiments.md).
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 ML100K_DIR   (the ml-100k directory with u1.base / u1.test)" >&2
    exit 2
fi

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$repo_root/bench/find_autorec.sh"

exec "$bin" train --data "$1" --valid-ratio 0.05 --epochs 200 --patience 20 --l2 1e-3 --dropout 0.6 \
    --input-dropout 0.2 --json
