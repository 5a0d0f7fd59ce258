"""Section builders: each reads its stage outputs and returns a content-model Section."""
