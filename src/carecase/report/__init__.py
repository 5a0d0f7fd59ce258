"""carecase.report"""
