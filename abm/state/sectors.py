"""Names shared across the model: sectors, skills, instruments and accounting sectors."""

from __future__ import annotations

import numpy as np

#: The eight sectors (the ``sector`` coordinate). The first six are the chosen markets.
SECTORS: tuple[str, ...] = (
    "semiconductors",
    "biotech",
    "defence_tech",
    "digital_ai",
    "machinery",
    "chemistry",
    "other_industry",
    "services",
)
N_SECTORS = len(SECTORS)
SECTOR_INDEX = {s: i for i, s in enumerate(SECTORS)}
#: The six markets of the 2025 policy.
CHOSEN_MARKETS: tuple[str, ...] = SECTORS[:6]
#: Industry = manufacturing-type sectors: all but digital_ai and services (docs/model.md §2.1).
INDUSTRY_MASK = np.array([s not in ("digital_ai", "services") for s in SECTORS])

#: Skill levels (the ``skill`` coordinate); ``high`` are tertiary-educated workers/researchers.
SKILLS: tuple[str, ...] = ("low", "medium", "high")
N_SKILLS = len(SKILLS)
HIGH = 2

#: Instrument types a ``Programme`` agent can have.
INSTRUMENTS: tuple[str, ...] = (
    "rd_tax_credit",
    "innovation_box",
    "grant",
    "procurement",
    "coinvestment",
    "mission_agency",
    "public_research",
    "talent_attraction",
    "grid_capacity",
)

#: Institutional sectors of the accounts (docs/model.md §7).
ACCOUNT_SECTORS: tuple[str, ...] = (
    "households",
    "firms",
    "financial",
    "government",
    "rest_of_world",
)
H, F, B, G, R = range(5)

__all__ = [
    "ACCOUNT_SECTORS",
    "B",
    "CHOSEN_MARKETS",
    "F",
    "G",
    "H",
    "HIGH",
    "INDUSTRY_MASK",
    "INSTRUMENTS",
    "N_SECTORS",
    "N_SKILLS",
    "R",
    "SECTORS",
    "SECTOR_INDEX",
    "SKILLS",
]
