"""carecase.ingest"""
