"""Serving the dashboard on this machine only, offline.

:func:`serve` binds ``127.0.0.1:PORT`` itself (so a port in use is a one-line error before
anything starts, and port 0 picks a free one), sets Solara's settings for an offline page
(:data:`OFFLINE_ENV`) and runs Solara's Starlette app under uvicorn in this process.

Offline means: the browser loads every script, style sheet and font from this server, and
the server fetches nothing either. Solara serves its front-end assets under ``/_solara/cdn/``
from a cache directory, which the ``solara-assets`` package fills at install time; on a cache
miss it would download the file from a public CDN. The dashboard points that CDN at a closed
port on this machine (``SOLARA_ASSETS_CDN``), so a miss fails at once instead of going out, and
switches Solara's usage telemetry off (``SOLARA_TELEMETRY_MIXPANEL_ENABLE``). The widget
scripts (ipywidgets, ipyvue, ipyvuetify) are served from the installed Python packages.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from abm.dashboard.controls import NO_COMPARISON, DashboardError
from abm.scenario import load_scenario

#: Launch setting -> the environment variable that carries it to the page
#: (:mod:`abm.dashboard.app`).
LAUNCH_ENV: dict[str, str] = {
    "scenario": "ABM_DASHBOARD_SCENARIO",
    "seed": "ABM_DASHBOARD_SEED",
    "compare": "ABM_DASHBOARD_COMPARE",
    "scale": "ABM_DASHBOARD_SCALE",
    "quarters": "ABM_DASHBOARD_QUARTERS",
}
#: The only interface the dashboard listens on.
HOST = "127.0.0.1"
#: Solara settings (environment variables, read when Solara is imported) for an offline page.
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_ASSETS_PROXY": "True",  # the browser asks this server for the assets ...
    "SOLARA_ASSETS_CDN": f"http://{HOST}:9/",  # ... and a cache miss goes nowhere (closed port)
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_MODE": "production",
    # Mesa 3.3's SolaraViz trips Solara's rules-of-hooks lint (a warning at every start)
    "SOLARA_CHECK_HOOKS": "off",
}


def assets_dir() -> Path:
    """Where Solara looks for its front-end assets (``solara-assets`` installs them there)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def check_assets() -> None:
    """Raise :class:`DashboardError` when the local copy of Solara's assets is missing (the
    page would need the internet)."""
    app = assets_dir() / "@widgetti"
    if not any(app.glob("solara-vuetify-app@*")):
        raise DashboardError(
            f"Solara's assets are not installed in {assets_dir()} (pip install the pinned "
            "'solara[assets]'); without them the page would load them from the internet"
        )


def bind(port: int) -> socket.socket:
    """A listening socket on ``127.0.0.1:port`` (0: any free port).

    Raises
    ------
    DashboardError
        The port is in use or cannot be bound.
    """
    if not 0 <= port <= 65535:
        raise DashboardError(f"option '--port': must be in 0..65535 (got {port})")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise DashboardError(
                f"port {port} is in use on {HOST}: choose another with --port (0 picks a free one)"
            ) from None
        raise DashboardError(f"cannot listen on {HOST}:{port}: {e.strerror}") from None
    sock.listen(128)
    return sock


def compile_kernels(scenario: str, compare: str = NO_COMPARISON) -> float:
    """Fill numba's cache before the page is served, when a run's kernels are missing from it.

    On a first run a page would otherwise show "Loading app" while its model compiles. When
    any of the kernels a run loads at its start (``kernels.cache.uncached``) is missing, this
    runs the ensembles' warm-up for each scenario shown (a one-quarter run at a coarse scale,
    under the per-host lock of :func:`abm.ensemble.worker.warm_model`), after saying so on
    stderr; the few kernels that compile when first needed and that warm-up does not call
    (a programme's, a later quarter's) still compile on first use, in well under a second each.

    Parameters
    ----------
    scenario : str
        The scenario shown first.
    compare : str
        The second pane's scenario, or ``"none"``.

    Returns
    -------
    float
        The seconds it took (0 with a warm cache, where it only checks the cache).
    """
    from kernels.cache import uncached

    if not uncached(1):
        return 0.0
    from abm.ensemble.worker import warm_model

    t0 = time.perf_counter()
    print("abm dashboard: compiling numba kernels before serving the page ...", file=sys.stderr)
    for name in dict.fromkeys([scenario] + ([compare] if compare != NO_COMPARISON else [])):
        warm_model(name)
    took = time.perf_counter() - t0
    print(
        f"abm dashboard: compiled in {took:.0f} s (once: later starts load them)", file=sys.stderr
    )
    return took


def serve(
    scenario: str = "focused",
    seed: int = 1,
    port: int = 8765,
    compare: str = NO_COMPARISON,
    scale: float | None = None,
    quarters: int | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the dashboard until interrupted (Ctrl-C).

    Parameters
    ----------
    scenario : str
        The scenario shown first (a shipped name or a TOML path).
    seed : int
        The seed shown first.
    port : int
        The port on 127.0.0.1 (0: any free port).
    compare : str
        The second pane's scenario shown first, or ``"none"``.
    scale, quarters : optional
        Persons per talent agent and recorded quarters (default: the scenario's).
    announce : callable
        Called once with the page's address when the server listens, after
        :func:`compile_kernels` (a first run compiles for about a minute before it).

    Raises
    ------
    ScenarioError
        An unknown scenario.
    DashboardError
        A port in use, or Solara's assets missing.
    """
    load_scenario(scenario)  # an unknown scenario is an error before anything starts
    if compare != NO_COMPARISON:
        load_scenario(compare)
    check_assets()
    sock = bind(port)
    compile_kernels(scenario, compare)
    address = f"http://{HOST}:{sock.getsockname()[1]}/"
    os.environ.update(OFFLINE_ENV)
    launch = {"scenario": scenario, "seed": seed, "compare": compare}
    launch.update({k: v for k, v in (("scale", scale), ("quarters", quarters)) if v is not None})
    os.environ.update({LAUNCH_ENV[k]: str(v) for k, v in launch.items()})
    os.environ["SOLARA_APP"] = "abm.dashboard.app"
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = HOST, str(sock.getsockname()[1])

    import uvicorn

    # plain http on 127.0.0.1: Solara's note that samesite=none cookies need https is noise
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config(
        "solara.server.starlette:app", host=HOST, port=sock.getsockname()[1], log_level="warning"
    )
    server = uvicorn.Server(config)
    announce(address)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


__all__ = [
    "HOST",
    "LAUNCH_ENV",
    "OFFLINE_ENV",
    "assets_dir",
    "bind",
    "check_assets",
    "compile_kernels",
    "serve",
]
