"""Mesa's ``Model``, ``Agent`` and ``DataCollector``, imported without the rest of Mesa.

``import mesa`` runs Mesa's package ``__init__``, which imports all of Mesa: its spaces and
experimental modules (scipy.spatial, networkx) and its batch runner (tqdm, multiprocessing).
That cost 0.65 s of CPU on the project machine (docs/performance.md, "Start-up"), a third of
the start-up of a run, for parts a run never uses. The model needs three classes from three
small modules, ``mesa.model``, ``mesa.agent`` and ``mesa.datacollection``, which import no other
part of Mesa (``mesa.datacollection`` gets a stand-in for pandas, which imports it when a data
frame is first made: :func:`abm.deferred.import_with_stand_ins`); this module imports them with
Mesa's ``__init__`` deferred (:func:`abm.deferred.import_deferring_init`): it runs as soon as
anything reads another name of ``mesa`` or imports another part of Mesa, so ``import mesa``
anywhere in the process still gives the whole of Mesa, and ``mesa.Model`` is this
:data:`Model`. When Mesa is imported already, nothing is deferred.

It also keeps Mesa's bookkeeping of many agents cheap: :func:`register_many` and
:func:`deregister_many` register entrants and exits in bulk, and :func:`collector_paused` keeps
Python's garbage collector out of the build, which makes a million and a half agent objects.
Mesa 3.3's counters of agent ids are given weak keys (:class:`_ModelCounters`), so a model is
freed when it is dropped.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import weakref
from collections.abc import Iterator

from abm.deferred import import_deferring_init

# mesa.datacollection imports pandas for its data frames, 0.25-0.3 s of a run's start-up for
# something a run never builds: it gets a stand-in that imports pandas when first used
_agent, _collection, _model = import_deferring_init(
    "mesa", ["agent", "datacollection", "model"], stand_ins={"datacollection": ["pandas"]}
)
Agent = _agent.Agent
DataCollector = _collection.DataCollector
Model = _model.Model


class _ModelCounters(weakref.WeakKeyDictionary):
    """Mesa's ``Agent._ids`` (model -> the counter of its agents' unique ids), with weak keys.

    Mesa 3.3 keeps the counters in a class-level ``defaultdict`` keyed by the model, so every
    model that ever made an agent stays alive until the process ends, with all its arrays
    (mesa#3179; later Mesa assigns the ids in ``register_agent`` instead, mesa#3180): an ensemble
    worker or the dashboard's Reset kept every model it built. Here a model's counter goes with
    the model; the ids are the same (1, 2, ... per model).
    """

    def __getitem__(self, model: object) -> itertools.count:
        try:
            return self.data[weakref.ref(model)]
        except KeyError:
            return self.setdefault(model, itertools.count(1))


if isinstance(getattr(Agent, "_ids", None), collections.defaultdict):
    _counters = _ModelCounters()
    _counters.update(Agent._ids)
    Agent._ids = _counters

__all__ = [
    "Agent",
    "DataCollector",
    "Model",
    "collector_paused",
    "deregister_many",
    "register_many",
]


#: objects made with the collector paused above which one full collection follows (a 1:1
#: build makes 1.6 million, a 1:20 build some 65 thousand)
FULL_COLLECTION_AFTER = 500_000


def _weak_keys(agent_set: object) -> weakref.WeakKeyDictionary | None:
    """The ``WeakKeyDictionary`` an ``AgentSet`` keeps its agents in (Mesa 3.3), or None."""
    d = getattr(agent_set, "_agents", None)
    ok = isinstance(d, weakref.WeakKeyDictionary) and isinstance(getattr(d, "data", None), dict)
    return d if ok and callable(getattr(d, "_remove", None)) else None


def _bulk_ok(model: Model, cls: type) -> bool:
    """Whether ``register_many`` may do Mesa's registration itself: the agent class keeps
    ``Agent.__init__``, ``Agent.remove``, ``object.__new__``, ``type.__call__`` and Mesa's
    counters of ids, with nothing but ``object`` after ``Agent`` in its method order (so
    ``Agent.__init__`` calls no other ``__init__``), the
    model ``Model.register_agent`` and ``deregister_agent``, and the model holds the registries
    Mesa 3.3 keeps (``_agents``, ``_agents_by_type``, ``_all_agents``, whose agent sets keep their
    agents in ``WeakKeyDictionary`` objects)."""
    t = type(model)
    mro = cls.__mro__
    return (
        Agent in mro
        and mro[mro.index(Agent) + 1 :] == (object,)
        and cls.__init__ is Agent.__init__
        and cls.__new__ is object.__new__
        and type(cls).__call__ is type.__call__
        and cls._ids is Agent._ids
        and cls.remove is Agent.remove
        and t.register_agent is Model.register_agent
        and t.deregister_agent is Model.deregister_agent
        and "register_agent" not in vars(model)
        and isinstance(getattr(model, "_agents", None), dict)
        and isinstance(getattr(model, "_agents_by_type", None), dict)
        and all(_weak_keys(s) is not None for s in model._agents_by_type.values())
        and _weak_keys(getattr(model, "_all_agents", None)) is not None
    )


def _add_weakly(keys: weakref.WeakKeyDictionary, agents: list) -> None:
    """``keys.update(dict.fromkeys(agents))`` in one C-level pass: the weak references
    ``WeakKeyDictionary.__setitem__`` makes (with the dictionary's own callback), without a
    Python call per agent."""
    keys.data.update(zip(map(weakref.ref, agents, itertools.repeat(keys._remove)),
                         itertools.repeat(None)))  # fmt: skip


def _drop_weakly(keys: weakref.WeakKeyDictionary, agents: list) -> None:
    """``del keys[a]`` for each of ``agents`` that is there, as ``WeakKeyDictionary.__delitem__``
    does (an agent missing is skipped, as ``AgentSet.discard`` and ``Agent.remove`` do), in one
    C-level pass."""
    keys._dirty_len = True
    pop = keys.data.pop
    collections.deque(map(pop, map(weakref.ref, agents), itertools.repeat(None)), maxlen=0)


def register_many(model: Model, cls: type, n: int) -> list:
    """Create ``n`` agents of ``cls`` (a Mesa ``Agent`` without an ``__init__`` of its own).

    The same agents, ids and registries as ``[cls(model) for _ in range(n)]`` (what
    ``Agent.__init__`` and ``Model.register_agent`` do: the next unique ids, ``model`` and
    ``pos`` None set in that order, the model's agent dict, its agent set by type and its set of
    all agents, in creation order), with the registries updated once for all ``n`` instead of
    agent by agent: a firm agent cost 4 microseconds that way, about 10,000 entrants a quarter at
    1:1 (docs/performance.md). The agents are made by ``object.__new__``, each with its three
    attributes set at once in ``Agent.__init__``'s order (Python's compact instance layout, keys
    shared with every agent of the class, no dict per agent). Any other class or model, or a
    Mesa that keeps its agents differently, goes agent by agent.
    """
    if n <= 0:
        return []
    if not _bulk_ok(model, cls):
        return [cls(model) for _ in range(n)]
    new = object.__new__
    agents = []
    add = agents.append
    # each agent gets its attributes as soon as it is made: CPython 3.11 shrinks a class's shared
    # attribute keys by one for every instance made, so a batch of bare instances made first
    # used them up and gave every later agent of the class a dict of its own (a second object for
    # the garbage collector per agent, for the rest of the process; tests/abm/test_agents.py)
    for uid in itertools.islice(Agent._ids[model], n):
        a = new(cls)
        a.model = model
        a.unique_id = uid
        a.pos = None
        add(a)
    model._agents.update(dict.fromkeys(agents))
    by_type = model._agents_by_type.get(cls)
    if by_type is None:
        model._agents_by_type[cls] = _agent.AgentSet(agents, random=model.random)
    else:
        _add_weakly(by_type._agents, agents)
    _add_weakly(model._all_agents._agents, agents)
    return agents


def deregister_many(model: Model, agents: list) -> None:
    """Remove these agents from the model's registries, as ``agent.remove()`` for each does
    (``Model.deregister_agent``), without its per-agent debug message and method calls."""
    if not agents:
        return
    types = {type(a) for a in agents}
    if not all(_bulk_ok(model, t) for t in types):
        for a in agents:
            a.remove()
        return
    reg = model._agents
    # Agent.remove ignores an agent removed already (and each agent once)
    gone = [a for a in dict.fromkeys(agents) if reg.pop(a, reg) is not reg]
    by_type = model._agents_by_type
    kinds = {type(a) for a in gone}
    for t in kinds:
        _drop_weakly(
            by_type[t]._agents, [a for a in gone if type(a) is t] if len(kinds) > 1 else gone
        )
    _drop_weakly(model._all_agents._agents, gone)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block; on again after, if it was on,
    with one full collection when the block made more than ``FULL_COLLECTION_AFTER`` objects.

    Building a 1:1 economy creates 1.6 million Python objects (the firm agents and Mesa's
    references to them), all of them kept; the collector went through the growing heap ten
    times while they were made, 1 of the 19 seconds of the build (docs/performance.md).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            # after a large build, one full collection moves what it made to the oldest
            # generation at once (otherwise the first young collections go through all of it
            # and trigger full ones within a few quarters); a full collection costs about
            # 0.1 s whatever the build, a tenth of a small run's start-up, so not after one
            if gc.get_count()[0] > FULL_COLLECTION_AFTER:
                gc.collect()
