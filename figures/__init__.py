"""The published figures: indicators and their tables, the scorecard, governance lists, the meeting report,
feeds, datasets and the DCAT catalogue.

Figures read the index through :mod:`search` and protect small cells through :mod:`privacy`;
``api`` and ``publisher`` serve and publish them. Nothing here writes to the index.
"""
