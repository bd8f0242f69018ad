"""Public pages that hold no request data: home, explanations, health."""
