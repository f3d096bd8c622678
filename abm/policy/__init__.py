"""Policy instruments, one file each, called by the mechanism they act in.

- ``budget``: budget paths, spending, demand-driven rates kept on budget (all programmes)
- ``rd_tax_credit``: WBSO-like credit on R&D wages (paid in ``mechanisms.subsidies``)
- ``innovation_box``: lower tax on innovation profits (``mechanisms.incomes``)
- ``grant``: competitive R&D grants with noisy selection (``mechanisms.subsidies``)
- ``procurement``: strategic procurement with a domestic share (``mechanisms.government``)
- ``coinvestment``: a fund matching private capital (``mechanisms.investment``, ``finance``)
- ``mission_agency``: mission research with delay and failure (``government``, ``innovation``)
- ``public_research``: universities and institutes (``mechanisms.government``)
- ``talent_attraction``: raises high-skill immigration (``government``, ``migration``)
- ``grid_capacity``: connects energy-intensive expansion (``government``, ``investment``)
- ``defence``: the common defence budget path and how orders are placed (``government``)

A new instrument is one new file here plus its schema entry in ``abm/scenario/instruments.py``.
"""
