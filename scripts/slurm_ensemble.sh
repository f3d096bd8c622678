#!/usr/bin/env bash
# Run an `abm ensemble` driver as a SLURM batch job (the body is scripts/ensemble_job.sh).
#
# The driver is light (one core, a few GB): it holds the dask scheduler, submits the worker jobs
# through dask-jobqueue (MODE=jobs, the default) and writes each finished member as a shard to
# OUTPUT.parts/, then assembles OUTPUT. Alternatively MODE=local runs every member inside this
# one allocation (ask for more cores below: one worker per core). Submit from the repository's
# root (or set ABM_SCRIPTS to the folder holding ensemble_job.sh):
#
#   sbatch scripts/slurm_ensemble.sh                                  # defaults in ensemble_job.sh
#   sbatch --export=ALL,RUNS=2000,SCENARIOS="diffuse focused",ACCOUNT=proj42 scripts/slurm_ensemble.sh
#   sbatch --export=ALL,MODE=local --cpus-per-task=64 --mem=128G scripts/slurm_ensemble.sh
#
# The script always passes --resume: if the driver job is killed (walltime, node failure, scancel)
# submit it again with the same settings and it continues where it stopped; the members already
# written are kept. SLURM signals the driver (SIGTERM) five minutes before the walltime, so it
# stops cleanly (exit 130) with every finished member on disk.
# See docs/ensembles.md ("On an HPC cluster").
#
#SBATCH --job-name=abm-driver
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=24:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --output=abm-driver-%j.out
set -euo pipefail

cd "${SLURM_SUBMIT_DIR:-$PWD}"
CLUSTER=slurm
CPUS=${SLURM_CPUS_PER_TASK:-1}
# shellcheck source=scripts/ensemble_job.sh
source "${ABM_SCRIPTS:-scripts}/ensemble_job.sh"
