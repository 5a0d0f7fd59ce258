"""carecase.costs — unit costs and costing events.

Public API:

- ``carecase.costs.library.load_library(price_year, overrides=None, library="default",
  deflator="hmt_gdp", base=None, columns=None) -> pandas.DataFrame``: the library uprated to a
  financial year with provenance; ``lookup(code, library=None, price_year=2024,
  value_type=None)``; ``unit_cost(code, value_type="fiscal", price_year=2024)``.
- ``carecase.costs.uprate``: ``load_index``, ``uprate``, ``read_index_csv``.
- ``carecase.costs.gmca.import_gmca(path)``: every cost in a GMCA Unit Cost Database workbook.
- ``carecase.costs.apply.cost_events(events, unit_costs, service_map, period_end,
  closed_sources=())``; ``period_share(costed, start, end)``: each costed event's share
  inside a window, split as the audit splits it.
- ``carecase.costs.stage.run(project, progress=None)``; ``check_costs_current(project)``.
"""
