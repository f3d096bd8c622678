"""The dashboard page: Mesa's ``SolaraViz`` around a :class:`DashboardModel`.

``SolaraViz`` (Mesa 3.3) draws the sidebar — Reset, ▶ (play/pause), Step, the play and render
intervals, and the model parameters (:func:`model_params`: scenario, second pane, seed and the
sliders of :data:`~abm.dashboard.controls.CONTROLS`) — and steps the model with its own
``model.step()``. The parameters take effect on Reset, which builds a new model from them (Mesa's
convention). The main view holds a status card and one figure per entry of
:data:`~abm.dashboard.figures.FIGURES`, redrawn after every step.

Each browser session gets its own model. The launch settings (scenario, seed, second pane,
scale, quarters) come from the environment variables of :data:`LAUNCH_ENV`, which
``abm dashboard`` sets; ``solara run abm.dashboard.app`` works too (with the defaults, and with
Solara's own asset and telemetry settings: prefer ``abm dashboard``, which keeps it offline).
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz

from abm.dashboard.controls import (
    CONTROLS,
    NO_COMPARISON,
    DashboardModel,
    slider_values,
)
from abm.dashboard.figures import FIGURES
from abm.dashboard.server import LAUNCH_ENV
from abm.scenario import load_scenario, shipped_scenarios

#: The page's title.
TITLE = "focus-abm dashboard"


def launch_settings(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The launch settings from the environment (defaults: ``focused``, seed 1, no second
    pane, the scenario's scale and quarters)."""
    env = os.environ if environ is None else environ
    scale = env.get(LAUNCH_ENV["scale"])
    quarters = env.get(LAUNCH_ENV["quarters"])
    return {
        "scenario": env.get(LAUNCH_ENV["scenario"], "focused"),
        "seed": int(env.get(LAUNCH_ENV["seed"], "1")),
        "compare": env.get(LAUNCH_ENV["compare"], NO_COMPARISON),
        "scale": float(scale) if scale else None,
        "quarters": int(quarters) if quarters else None,
    }


def model_params(
    scenario: str,
    seed: int,
    compare: str = NO_COMPARISON,
    scale: float | None = None,
    quarters: int | None = None,
) -> dict[str, Any]:
    """``SolaraViz``'s ``model_params`` for the launch settings: the inputs of the sidebar,
    and the fixed keywords of :class:`DashboardModel`.

    Parameters
    ----------
    scenario : str
        The scenario shown first (a shipped name or a TOML path).
    seed : int
        The seed shown first.
    compare : str
        The second pane's scenario, or ``"none"``.
    scale, quarters : optional
        Persons per talent agent and recorded quarters (fixed for the session).

    Returns
    -------
    dict
        Keyword -> a Mesa input description (``{"type": "Select", ...}``) or a fixed value.
    """
    sc = load_scenario(scenario)
    names = list(shipped_scenarios())
    choices = names if scenario in names else [scenario, *names]
    starts = slider_values(sc)
    params: dict[str, Any] = {
        "scenario": {"type": "Select", "value": scenario, "values": choices, "label": "Scenario"},
        "compare": {
            "type": "Select",
            "value": compare,
            "values": list(dict.fromkeys([NO_COMPARISON, *choices, compare])),
            "label": "Second pane (same seed)",
        },
        "seed": {"type": "InputText", "value": str(seed), "label": "Seed"},
    }
    for c in CONTROLS:
        params[c.name] = {
            "type": "SliderFloat",
            "value": starts[c.name],
            "min": c.low,
            "max": c.high,
            "step": c.step,
            "label": c.label,
        }
    params.update(scale=scale, quarters=quarters, start_values=starts, fallback_seed=seed)
    return params


def _when(model: DashboardModel) -> str:
    if not model.records:
        return f"start of {model.start_year} (no quarter recorded yet)"
    d = model.records[-1].date
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def status(model: DashboardModel) -> Any:
    """The status card: scenario, seed, the quarter reached, the second pane, and the
    controls a scenario does not use (with why)."""
    with model.reading():  # a consistent quarter while ▶ steps on another thread
        return _status_card(model)


def _status_card(model: DashboardModel) -> Any:
    labels = {c.name: c.label for c in CONTROLS}
    with solara.v.Html(tag="div", class_="abm-status pa-2") as card:
        solara.v.Html(
            tag="h3", class_="abm-scenario", children=[f"Scenario: {model.scenario.name}"]
        )
        solara.Text(model.scenario.description or "")
        solara.v.Html(
            tag="p",
            class_="abm-quarter",
            children=[
                f"Seed {model.seed} · {_when(model)} · recorded quarters {len(model.records)}"
                f" of {model.quarters} · scale {model.scale:g} persons per agent"
            ],
        )
        if model.twin is not None:
            solara.Text(
                f"Second pane: {model.twin.scenario.name}, same seed (dashed lines, right panels)"
            )
        if model.applied:
            applied = ", ".join(f"{k} = {v:g}" for k, v in model.applied.items())
            solara.v.Html(tag="p", class_="abm-applied", children=[f"Overrides: {applied}"])
        for problem in model.problems:
            solara.Error(problem, dense=True)
        for name, why in {**model.twin_notes, **model.notes}.items():
            solara.Warning(f"{labels[name]}: not used. {why}.", dense=True)
        if not model.running:
            solara.Info("The horizon is reached: Reset to run again.", dense=True)
    return card


def _figure_component(name: str) -> Any:
    build = FIGURES[name]

    def figure(model: DashboardModel) -> Any:
        # drawn again only when the model or its quarter changes (not on every re-render),
        # from a finished quarter (the lock waits for a step in progress on ▶'s thread)
        with model.reading():
            when = [id(model), len(model.records)]
            fig = solara.use_memo(lambda: build(model.runs()), when)
        return solara.FigureMatplotlib(fig, format="png", dependencies=when)

    figure.__name__ = f"figure_{name}"
    return figure


#: The components of the main view (Mesa wraps each so it redraws after every step).
COMPONENTS: list[Any] = [status, *[_figure_component(n) for n in FIGURES]]


@solara.component
def Page() -> Any:
    """The dashboard: one model per browser session, built from the launch settings."""
    launch = solara.use_memo(launch_settings, [])
    params = solara.use_memo(lambda: model_params(**launch), [])
    model = solara.use_memo(lambda: DashboardModel(**launch, fallback_seed=launch["seed"]), [])
    return SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name=TITLE,
        play_interval=50,
        render_interval=1,
    )


__all__ = ["COMPONENTS", "Page", "TITLE", "launch_settings", "model_params", "status"]
