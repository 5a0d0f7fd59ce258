"""carecase.web: a thin local web layer over the public API (`carecase web PROJECT`)."""
