"""numba's on-disk cache of the kernels: is it warm, and how many threads may the kernels use.

numba compiles each kernel the first time a process calls it and keeps the machine code in its
cache (``__pycache__`` beside the source, or ``NUMBA_CACHE_DIR``), keyed on the source file, the
signature and the CPU. A first run in a fresh environment therefore compiles for tens of
seconds; later processes load the code in milliseconds. :func:`uncached` looks up the cache
index of every kernel a run calls (before any is called), so the model can say that it is
compiling when it must, and a first run does not look stuck.
"""

from __future__ import annotations

import numba

from kernels import (
    capital,
    events,
    firms,
    goods,
    incomes,
    innovation,
    investment,
    labour,
    market,
    migration,
    passes,
    production,
    rd,
    sectors,
    talent,
)
from kernels import rows as rows_

#: the kernels a run calls from Python in its first quarter (their callees compile and are
#: cached with them); the renumbering of employers after exits compiles when first needed, and
#: so do the kernels of programmes that not every scenario has (``kernels.rd.rd_credit`` for an
#: R&D tax credit, ``kernels.policy.grant_scores`` and ``kernels.sort.argsort_descending`` for
#: grants, ``kernels.incomes.box_tax`` for an innovation box, ``kernels.philox.philox_uniforms``
#: and ``philox_uniforms_parallel`` for the keyed uniforms of programmes' draws: four of the
#: five shipped scenarios have such programmes)
ENTRY_POINTS = (
    events.lottery_rows,
    talent.count_staff,
    talent.census,
    talent.marked_residents,
    talent.clear_marks_abroad,
    talent.separate,
    talent.hire,
    passes.employees_of,
    passes.leave_jobs,
    passes.apply_separations,
    passes.search,
    passes.unemployed,
    migration.immigration_draws,
    migration.retire_pass,
    migration.emigrate_pass,
    migration.immigrate_pass,
    rows_.drop_row_bytes,
    rows_.copy_row_bytes,
    firms.payroll,
    firms.staff_by_skill,
    sectors.sector_sums,
    production.plan_firms,
    production.produce_firms,
    sectors.sector_medians_of_rows,
    sectors.sector_order,
    firms.wage_premiums,
    firms.exit_decisions,
    firms.group_weighted_mean,
    firms.wage_matrix,
    labour.match_labour,
    labour.vacancy_row_count,
    labour.vacancy_rows,
    goods.allocate_demand,
    market.settle_firms,
    market.expect_and_price,
    incomes.firm_incomes,
    incomes.firm_dividends,
    capital.allocate_investors,
    capital.funding_queue,
    capital.fund_queue,
    capital.book_funding,
    innovation.innovate_keyed,
    investment.investment_wanted,
    investment.investment_orders,
    rd.user_cost,
    rd.plan_rd_firms,
)
#: and those it calls when ``threads > 1``
PARALLEL_ENTRY_POINTS = (
    events.lottery_rows_parallel,
    production.plan_firms_parallel,
    market.expect_and_price_parallel,
    incomes.firm_dividends_parallel,
    production.produce_firms_parallel,
    passes.employees_of_parallel,
    passes.leave_jobs_parallel,
    passes.unemployed_parallel,
    passes.search_parallel,
    capital.funding_queue_parallel,
    migration.retire_pass_parallel,
    migration.emigrate_pass_parallel,
    migration.immigrate_pass_parallel,
    rd.plan_rd_firms_parallel,
    sectors.sector_medians_of_rows_parallel,
    innovation.innovate_keyed_parallel,
    migration.abroad_uniforms,
    migration.arrivals,
)
#: serial kernels that a run with ``threads > 1`` replaces by other kernels of
#: ``PARALLEL_ENTRY_POINTS`` than a ``_parallel`` twin: the immigration draws, made ahead on the
#: helper thread (``abm.mechanisms.migration.draw_ahead``)
REPLACED_WITH_THREADS = (migration.immigration_draws,)


def is_cached(kernel: numba.core.registry.CPUDispatcher) -> bool:
    """Whether numba's cache holds machine code of ``kernel`` for this CPU and source."""
    if kernel.signatures:  # compiled (or loaded) in this process already
        return True
    try:
        index = kernel._cache._cache_file._load_index()  # empty when missing or stale
        magic = kernel.targetctx.codegen().magic_tuple()
    except (AttributeError, OSError, EOFError, ValueError):  # numba internals moved: assume so
        return True
    return any(key[1] == magic for key in index)


def entry_points(threads: int = 1) -> tuple:
    """The kernels a run with ``threads`` calls from Python: with ``threads > 1`` the threaded
    twin (``<name>_parallel`` in the same module) replaces each kernel that has one, and the
    kernels of ``REPLACED_WITH_THREADS`` are left out."""
    if threads <= 1:
        return ENTRY_POINTS
    parallel = set(PARALLEL_ENTRY_POINTS)

    def twin(k: numba.core.registry.CPUDispatcher) -> object:
        return k.py_func.__globals__.get(f"{k.__name__}_parallel")  # its module's namespace

    replaced = set(REPLACED_WITH_THREADS)
    serial = (k for k in ENTRY_POINTS if twin(k) not in parallel and k not in replaced)
    return tuple(serial) + PARALLEL_ENTRY_POINTS


def uncached(threads: int = 1) -> list[str]:
    """Names of the kernels a run with ``threads`` would have to compile first."""
    kernels = entry_points(threads)
    return [f"{k.py_func.__module__}.{k.__name__}" for k in kernels if not is_cached(k)]


def kernel_threads(threads: int | None) -> int:
    """The thread count for the parallel kernels: None means 1; at most numba's pool size."""
    if threads is None:
        return 1
    n = int(threads)
    if n != threads or n < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    if n > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(
            f"threads={n} exceeds numba's thread pool ({numba.config.NUMBA_NUM_THREADS}; "
            "set NUMBA_NUM_THREADS before starting Python for more)"
        )
    return n
