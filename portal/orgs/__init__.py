"""The public directory of accompanying organizations."""
