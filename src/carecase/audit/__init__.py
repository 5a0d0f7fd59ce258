"""carecase.audit — the whole-system cost audit.

Public API: ``carecase.audit.periods.split_by_month`` / ``person_month`` / ``label_periods``;
``carecase.audit.tables`` (``top_n(costed, n, start, end)``, ``cost_by``,
``cohort_vs_population``, ``locality_demand``); ``carecase.audit.concentration`` (``gini``,
``lorenz``, ``top_share``, ``period_weeks``); ``carecase.audit.stage.run(project, progress=None)``.
"""
