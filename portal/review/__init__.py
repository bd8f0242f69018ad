"""Network staff's review queue and request pages."""
