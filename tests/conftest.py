"""Hypothesis profiles: `make test` (and so CI) replays the same examples every run; `explore` searches anew.

A run that fails under `explore` prints the seed to reproduce it (`pytest --hypothesis-seed=N`). Select a
profile with the environment variable HYPOTHESIS_PROFILE (default: `repeatable`).
"""

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
