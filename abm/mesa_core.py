"""Mesa's ``Model``, ``Agent`` and ``DataCollector``, imported without the rest of Mesa.

``import mesa`` runs Mesa's package ``__init__``, which imports all of Mesa: its spaces and
experimental modules (scipy.spatial, networkx) and its batch runner (tqdm, multiprocessing).
That cost 0.65 s of CPU on the project machine (docs/performance.md, "Start-up"), a third of
the start-up of a run, for parts a run never uses. The model needs three classes from three
small modules, ``mesa.model``, ``mesa.agent`` and ``mesa.datacollection``, which import no other
part of Mesa; this module imports them with Mesa's ``__init__`` deferred
(:func:`abm.deferred.import_deferring_init`): it runs as soon as anything reads another name of
``mesa`` or imports another part of Mesa, so ``import mesa`` anywhere in the process still gives
the whole of Mesa, and ``mesa.Model`` is this :data:`Model`. When Mesa is imported already,
nothing is deferred.
"""

from __future__ import annotations

from abm.deferred import import_deferring_init

_agent, _collection, _model = import_deferring_init("mesa", ["agent", "datacollection", "model"])
Agent = _agent.Agent
DataCollector = _collection.DataCollector
Model = _model.Model

__all__ = ["Agent", "DataCollector", "Model"]
