"""The small core every stage stands on: configuration, engine, errors, dates, services."""
