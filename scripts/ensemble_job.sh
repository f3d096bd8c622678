# shellcheck shell=bash
# The body of the batch scripts slurm_ensemble.sh and pbs_ensemble.sh, which source it from the
# directory the job was submitted from (the repository's root in their examples; another place
# through ABM_SCRIPTS) after setting CLUSTER (slurm or pbs) and CPUS (the cores of this job).
#
# MODE=jobs (the default): the driver holds the dask scheduler, submits the worker jobs through
# dask-jobqueue and writes each finished member as a shard to OUTPUT.parts/, then assembles
# OUTPUT. MODE=local: every member runs inside this one job (one worker per core).
# Always --resume: a driver job that was killed continues where it stopped when submitted again
# with the same settings. exec: the driver itself receives the batch system's SIGTERM and stops
# cleanly (exit 130) with every finished member on disk. See docs/ensembles.md.

SCENARIOS=${SCENARIOS:-"diffuse focused"}   # shipped names or TOML paths, space-separated
RUNS=${RUNS:-1000}                          # member seeds per scenario
SEED=${SEED:-1}                             # root seed
OUTPUT=${OUTPUT:-outputs/ensemble.nc}
MODE=${MODE:-jobs}                          # jobs: dask-jobqueue worker jobs; local: this job
JOBS=${JOBS:-4}                             # worker jobs (MODE=jobs)
CORES=${CORES:-32}                          # cores per worker job
MEMORY=${MEMORY:-64GB}                      # memory per worker job
WALLTIME=${WALLTIME:-04:00:00}              # per worker job; workers retire 5 min before it
QUEUE=${QUEUE:-}                            # partition or queue for the worker jobs
ACCOUNT=${ACCOUNT:-}                        # account charged for the worker jobs
INTERFACE=${INTERFACE:-}                    # network interface between nodes, e.g. ib0
THREADS=${THREADS:-1}                       # numba threads per worker
VENV=${VENV:-}                              # virtual environment with focus-abm installed
EXTRA=${EXTRA:-}                            # more options, e.g. "--quarters 60 --sweep rd.sigma=0,1,2"

if [[ -n "$VENV" ]]; then
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
fi

read -r -a scenarios <<<"$SCENARIOS"
read -r -a extra <<<"$EXTRA"
args=("${scenarios[@]}" --runs "$RUNS" --seed "$SEED" -o "$OUTPUT" --threads "$THREADS"
      --resume --no-progress "${extra[@]}")

if [[ "$MODE" == local ]]; then
  workers=$(( CPUS / THREADS ))
  exec abm ensemble "${args[@]}" --workers "$(( workers > 0 ? workers : 1 ))"
fi

args+=(--cluster "$CLUSTER" --jobs "$JOBS" --cores "$CORES" --memory "$MEMORY" --walltime "$WALLTIME")
[[ -n "$QUEUE" ]] && args+=(--queue "$QUEUE")
[[ -n "$ACCOUNT" ]] && args+=(--account "$ACCOUNT")
[[ -n "$INTERFACE" ]] && args+=(--interface "$INTERFACE")
exec abm ensemble "${args[@]}"
