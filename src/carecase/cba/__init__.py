"""carecase.cba"""
