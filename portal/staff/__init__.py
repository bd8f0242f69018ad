"""The staff start page."""
