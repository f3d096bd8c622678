"""What purchase-type programmes add to government demand this quarter (euros by sector)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.state.sectors import N_SECTORS


@dataclass
class Purchases:
    """Government purchases programmes place: regular (``sectors.import_share_final`` of them
    imported) and directed orders (placed at home up to their domestic part)."""

    regular: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    directed: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    directed_dom: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
