"""carecase.evaluate"""
