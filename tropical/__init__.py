"""Tropical geometry of ReLU networks."""
