#!/usr/bin/env bash
# Run an `abm ensemble` driver as a PBS (PBS Pro / OpenPBS) batch job.
#
# The driver is light (one core, a few GB): it holds the dask scheduler, submits the worker jobs
# through dask-jobqueue (MODE=jobs, the default) and writes each finished member as a shard to
# OUTPUT.parts/, then assembles OUTPUT. Alternatively MODE=local runs every member inside this
# one job (ask for more cores below: one worker per core).
#
#   qsub scripts/pbs_ensemble.sh
#   qsub -v RUNS=2000,ACCOUNT=proj42 scripts/pbs_ensemble.sh
#   qsub -v MODE=local -l select=1:ncpus=64:mem=128gb scripts/pbs_ensemble.sh
#
# The script always passes --resume: if the driver job is killed (walltime, node failure, qdel)
# submit it again with the same settings and it continues where it stopped; the members already
# written are kept. PBS sends SIGTERM before SIGKILL at the walltime; the driver then stops
# cleanly (exit 130) with every finished member on disk.
# See docs/ensembles.md ("On an HPC cluster").
#
#PBS -N abm-driver
#PBS -l select=1:ncpus=2:mem=4gb
#PBS -l walltime=24:00:00
#PBS -j oe
set -euo pipefail

SCENARIOS=${SCENARIOS:-"diffuse focused"}   # shipped names or TOML paths, space-separated
RUNS=${RUNS:-1000}                          # member seeds per scenario
SEED=${SEED:-1}                             # root seed
OUTPUT=${OUTPUT:-outputs/ensemble.nc}
MODE=${MODE:-jobs}                          # jobs: dask-jobqueue worker jobs; local: this job
JOBS=${JOBS:-4}                             # worker jobs (MODE=jobs)
CORES=${CORES:-32}                          # cores per worker job
MEMORY=${MEMORY:-64GB}                      # memory per worker job
WALLTIME=${WALLTIME:-04:00:00}              # per worker job; workers retire 5 min before it
QUEUE=${QUEUE:-}                            # queue for the worker jobs
ACCOUNT=${ACCOUNT:-}                        # account charged for the worker jobs
INTERFACE=${INTERFACE:-}                    # network interface between nodes, e.g. ib0
THREADS=${THREADS:-1}                       # numba threads per worker
VENV=${VENV:-}                              # virtual environment with focus-abm installed
EXTRA=${EXTRA:-}                            # more options, e.g. "--quarters 60 --sweep rd.sigma=0,1,2"

cd "${PBS_O_WORKDIR:-$PWD}"
if [[ -n "$VENV" ]]; then
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
fi

read -r -a scenarios <<<"$SCENARIOS"
read -r -a extra <<<"$EXTRA"
args=("${scenarios[@]}" --runs "$RUNS" --seed "$SEED" -o "$OUTPUT" --threads "$THREADS"
      --resume --no-progress "${extra[@]}")

if [[ "$MODE" == local ]]; then
  workers=$(( ${NCPUS:-1} / THREADS ))
  exec abm ensemble "${args[@]}" --workers "$(( workers > 0 ? workers : 1 ))"
fi

args+=(--cluster pbs --jobs "$JOBS" --cores "$CORES" --memory "$MEMORY" --walltime "$WALLTIME")
[[ -n "$QUEUE" ]] && args+=(--queue "$QUEUE")
[[ -n "$ACCOUNT" ]] && args+=(--account "$ACCOUNT")
[[ -n "$INTERFACE" ]] && args+=(--interface "$INTERFACE")
# exec: the driver itself receives PBS's SIGTERM and keeps what is done
exec abm ensemble "${args[@]}"
