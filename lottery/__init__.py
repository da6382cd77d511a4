"""Lottery tickets: masks, pruning, re-initialisation, training."""
