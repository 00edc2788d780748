#!/usr/bin/env bash
# Prepare, on a connected machine, the wheels a GPU node without a package registry lacks, in
# .whl/ at the repository root (ignored by git; the device tool carries it with `carry: [".whl"]`).
#
#   bash benchmarks/gpu_wheels.sh                 # the default list below
#   bash benchmarks/gpu_wheels.sh --trial         # the default list and what a trial needs
#   bash benchmarks/gpu_wheels.sh NAME==VER ...   # other wheels
#
# Target: the GPU image of this workplace (Python 3.12, manylinux x86_64; see its KINDS.md).
# It already has numpy, scipy, numba, numba-cuda, cupy-cuda13x, scikit-image, matplotlib and
# tqdm, which is all that benchmarks/gpu_check.py imports: victwin's spectra and xraylib answers
# for the shipped systems are package data, and pydicom, highdicom, pynetdicom, zarr and dask
# are imported only by the code that needs them. One wheel is needed all the same: the image's
# NumPy (2.5.2, seen 2026-12-04) is newer than its numba-cuda (0.30.4) supports: numba-cuda's
# first CUDA compile registers an overload of np.row_stack, which NumPy 2.5 removed, and fails
# (AttributeError). NumPy 2.4.6 (the newest this mirror has; 16 MiB) installs ahead of it.
# Name other wheels when a node lacks something (benchmarks/gpu_check.sh says which).
# --trial adds what a whole trial needs there (`victwin run`, benchmarks/trial.py): its store
# writes arrays with zarr, which the image lacks (zarr 3.1.6 with numcodecs, donfig and
# google-crc32c, ~9.5 MiB; pyyaml, packaging and typing-extensions are in the image). Checked
# without a GPU (2026-12-04): tests/trial/tiny.toml runs to its analysis with xraylib,
# spekpy, pydicom, highdicom, pynetdicom, dask, distributed and astra blocked; not yet run on
# the node.
set -euo pipefail
cd "$(dirname "$0")/.."
DEFAULT=("numpy==2.4.6")
TRIAL=("zarr==3.1.6" "numcodecs==0.16.6" "donfig==0.8.1.post1" "google-crc32c==1.9.0")
names=("$@")
if [ "${1:-}" = "--trial" ]; then
  names=("${DEFAULT[@]}" "${TRIAL[@]}")
fi
[ ${#names[@]} -gt 0 ] || names=("${DEFAULT[@]+"${DEFAULT[@]}"}")
mkdir -p .whl
if [ ${#names[@]} -gt 0 ]; then
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 --platform any -d .whl "${names[@]}"
fi
# what travels: the tracked and untracked-not-ignored files, plus .whl (limit 64 MiB)
code=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
wheels=$(du -sb .whl | cut -f1)
echo "code $((code / 1024)) KiB + wheels $((wheels / 1024)) KiB = $(((code + wheels) / 1048576)) MiB (limit 64 MiB)"
