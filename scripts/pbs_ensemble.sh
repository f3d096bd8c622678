#!/usr/bin/env bash
# Run an `abm ensemble` driver as a PBS (PBS Pro / OpenPBS) batch job (the body is
# scripts/ensemble_job.sh).
#
# The driver is light (one core, a few GB): it holds the dask scheduler, submits the worker jobs
# through dask-jobqueue (MODE=jobs, the default) and writes each finished member as a shard to
# OUTPUT.parts/, then assembles OUTPUT. Alternatively MODE=local runs every member inside this
# one job (ask for more cores below: one worker per core). Submit from the repository's root (or
# set ABM_SCRIPTS to the folder holding ensemble_job.sh):
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

cd "${PBS_O_WORKDIR:-$PWD}"
CLUSTER=pbs
CPUS=${NCPUS:-1}
# shellcheck source=scripts/ensemble_job.sh
source "${ABM_SCRIPTS:-scripts}/ensemble_job.sh"
