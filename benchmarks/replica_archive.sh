#!/usr/bin/env bash
# Keep a partly run trial (the reduced VICTRE replica) across machine resets, in the repository.
#
#   bash benchmarks/replica_archive.sh save RUN_DIR [ARCHIVE]
#   bash benchmarks/replica_archive.sh restore RUN_DIR [ARCHIVE]
#
# The sessions that run the replica (examples/victre-replica-150.toml, ~14 min per twin on the
# shared 2-core machine, ~35 h in all) end after 3 h, and the machine may be reset between
# them: only the repository survives. With `[storage] rois = "channels"` a finished twin keeps
# ~6 kB of channel outputs (docs/trial/README.md, "What a case keeps"), so the whole run
# directory fits in a small archive. `save` needs the run stopped (no `victwin run` writing to
# it: stop it first, e.g. `pkill -f victre-replica-150`); it folds SQLite's write-ahead log into
# trial.sqlite, leaves out the lock and any half-written case, and writes ARCHIVE (default
# benchmarks/results/replica-150/run.tar.gz; commit it). `restore` unpacks ARCHIVE into a new
# RUN_DIR; `victwin run examples/victre-replica-150.toml --out RUN_DIR` then resumes after the
# last finished twin (the spec hash must match: the run refuses another spec in one line).
set -euo pipefail

usage() { echo "usage: $0 save|restore RUN_DIR [ARCHIVE]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1
run=$2
root=$(cd "$(dirname "$0")/.." && pwd)
archive=${3:-$root/benchmarks/results/replica-150/run.tar.gz}

case $cmd in
  save)
    [[ -f $run/trial.sqlite ]] || { echo "$run: not a trial run directory (no trial.sqlite)" >&2; exit 1; }
    if pgrep -f -- "--out $run( |$)" > /dev/null || pgrep -f -- "--out $(realpath "$run")( |$)" > /dev/null; then
      echo "$run: a victwin run is still writing to it; stop it first" >&2; exit 1
    fi
    python - "$run/trial.sqlite" <<'EOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
busy, log, done = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
con.close()
if busy:
    sys.exit(f"{sys.argv[1]}: the write-ahead log could not be checkpointed (busy)")
EOF
    mkdir -p "$(dirname "$archive")"
    tmp=$(mktemp "$archive.XXXXXX")
    # finished cases only: a case is committed by renaming its .tmp directory (trial/_store.py)
    tar -czf "$tmp" -C "$run" --exclude=.lock --exclude='*.tmp*' --exclude='trial.sqlite-wal' \
        --exclude='trial.sqlite-shm' .
    mv "$tmp" "$archive"
    n=$(python -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"select count(*) from cases where state='done'\").fetchone()[0])" "$run/trial.sqlite" 2>/dev/null || echo "?")
    echo "saved $run ($n finished cases) to $archive ($(du -h "$archive" | cut -f1))"
    ;;
  restore)
    [[ -f $archive ]] || { echo "$archive: no such archive" >&2; exit 1; }
    if [[ -e $run && -n $(ls -A "$run" 2>/dev/null) ]]; then
      echo "$run: exists and is not empty; restore into a new directory" >&2; exit 1
    fi
    mkdir -p "$run"
    tar -xzf "$archive" -C "$run"
    echo "restored $archive into $run; resume with: victwin run examples/victre-replica-150.toml --out $run"
    ;;
  *) usage ;;
esac
