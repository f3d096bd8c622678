"""Economic mechanisms, one file each; every step of the quarter is a function here.

Each function takes the economy's state and the quarter's flows, ``(eco, f) -> None``, and its
module docstring gives the equation and the source of its parameters:

- ``build``: the calibrated 2025 economy (firms, talent, investors, accounts)
- ``expectations``: expected demand and mark-up prices
- ``production``: plans, vacancies, layoffs, output and intermediate inputs
- ``labour``: separations, search and matching, wage premiums, wage setting
- ``goods``: the goods market, exports, market shares and sector prices
- ``government``: purchases, transfers, household tax, bonds, the fiscal rule
- ``households``: consumption planning
- ``innovation``: knowledge, innovation and imitation, the R&D rule and user cost
- ``investment``: desired capital, lumpy orders, grid congestion, funding requests
- ``finance``: the capital market (investor logit, funding, capital outflow)
- ``incomes``: wages, interest, loan repayment, profits, corporate tax, dividends
- ``subsidies``: the R&D tax credit and grants paid, and the user cost that follows
- ``entry_exit``: exit of insolvent and marginal firms, entry where profits are high
- ``migration``: retirement, migration, education, the foreign pool
- ``trends``: GDP, real GDP and the slow averages behaviour leans on

Policy instruments live in ``abm.policy`` (one file each), called from these mechanisms.
"""
