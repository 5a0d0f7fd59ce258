"""carecase.link"""
