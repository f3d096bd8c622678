"""What an ensemble reports: its errors, the members that kept failing, and the result of a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

#: Exit status of ``abm ensemble`` when some members failed (the others are written).
EXIT_FAILED_MEMBERS = 3


class EnsembleError(RuntimeError):
    """The ensemble could not be completed (for example: the scheduler went away)."""


class EnsembleInputError(EnsembleError, ValueError):
    """Bad input (scenario, option, sweep, address); raised before any member runs."""


class EnsembleInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM in the command): the shards written so far are kept for ``resume``.

    Attributes
    ----------
    done : int
        Members with a valid shard on disk.
    total : int
        Members in the ensemble.
    parts_dir : pathlib.Path
        The shard folder (``FILE.parts``).
    """

    def __init__(self, done: int, total: int, parts_dir: Path) -> None:
        super().__init__(f"interrupted: {done} of {total} members saved in {parts_dir}")
        self.done, self.total, self.parts_dir = done, total, parts_dir


@dataclass(frozen=True)
class MemberFailure:
    """A member that kept failing after its retries."""

    scenario: str
    realization: int
    member: int
    seed: str
    parameters: dict[str, float]
    attempts: int
    error: str

    def as_dict(self) -> dict[str, Any]:
        """The failure as the ``failures`` attribute of an ensemble's file lists it."""
        return {
            "scenario": self.scenario,
            "realization": self.realization,
            "member": self.member,
            "seed": self.seed,
            "parameters": self.parameters,
            "attempts": self.attempts,
            "error": self.error,
        }

    def describe(self) -> str:
        """One line for the printed summary."""
        par = "".join(f", {k}={v:g}" for k, v in self.parameters.items())
        return (
            f"{self.scenario} realization {self.realization} (member {self.member}, seed "
            f"{self.seed}{par}) failed {self.attempts} times: {self.error}"
        )


@dataclass
class EnsembleResult:
    """What :func:`run_ensemble` did.

    Attributes
    ----------
    path : pathlib.Path
        The final NetCDF file (written even when some members failed).
    scenarios : list of str
        Scenario names (the ``scenario`` coordinate).
    realizations : int
        Realizations per scenario (parameter points x runs).
    members : int
        Members in total (scenarios x realizations).
    computed : int
        Members run and written in this call.
    reused : int
        Valid shards of an earlier, interrupted run that were kept (``resume``).
    failures : list of MemberFailure
        Members that failed after all retries (their values are NaN, ``member_ok == 0``).
    seconds : float
        Wall time of the whole call.
    compute_seconds : float
        Wall time from the first member submitted to the last member written.
    workers : int
        Worker threads (members running at once) when the members finished.
    driver_peak_memory : int
        Peak resident memory of the driver process, bytes.
    parts_dir : pathlib.Path or None
        The shard folder if it was kept (failures, or ``keep_parts``), else None.
    """

    path: Path
    scenarios: list[str]
    realizations: int
    members: int
    computed: int
    reused: int
    failures: list[MemberFailure]
    seconds: float
    compute_seconds: float
    workers: int
    driver_peak_memory: int
    parts_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every member was written."""
        return not self.failures

    @property
    def members_per_minute(self) -> float:
        """Members computed per minute of compute wall time in this call."""
        return 60.0 * self.computed / self.compute_seconds if self.compute_seconds > 0 else 0.0

    def open(self, **kwargs: Any) -> xr.Dataset:
        """Open the final file lazily (dask-backed, ``chunks={}``); keyword arguments go to
        :func:`xarray.open_dataset` (:func:`xarray.open_zarr` for a ``.zarr`` store). With
        ``layout="cdo"`` the members are separate files: open them with
        ``xarray.open_mfdataset``."""
        import xarray as xr  # not for the errors above, which the command line imports

        if self.path.suffix == ".zarr":
            return xr.open_zarr(self.path, **kwargs)
        if self.path.is_dir():
            raise ValueError(
                f"{self.path} is a folder of one file per member (--layout cdo); open them with "
                f"xarray.open_mfdataset('{self.path}/*.nc', combine='nested', "
                "concat_dim='member')"
            )
        kwargs.setdefault("chunks", {})
        return xr.open_dataset(self.path, **kwargs)

    def summary(self) -> str:
        """Lines for the command's final report."""
        lines = []
        if self.failures:
            lines.append(f"{len(self.failures)} member(s) failed after retries:")
            lines.extend(f"  {f.describe()}" for f in self.failures)
        ok = self.members - len(self.failures)
        reused = f", {self.reused} kept from an earlier run" if self.reused else ""
        lines.append(
            f"{ok} of {self.members} members written ({len(self.scenarios)} scenario(s) x "
            f"{self.realizations} realizations{reused}); {self.computed} computed in "
            f"{self.compute_seconds:.1f} s: {self.members_per_minute:.1f} members/min on "
            f"{self.workers} worker(s); driver peak memory "
            f"{self.driver_peak_memory / 2**20:.0f} MiB"
        )
        if self.parts_dir is not None:
            hint = " (run again with --resume to retry the failed members)" if self.failures else ""
            lines.append(f"shards kept in {self.parts_dir}{hint}")
        lines.append(f"wrote {self.path}")
        return "\n".join(lines)
