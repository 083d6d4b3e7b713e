"""How many random streams the differential tests run.

SPOTEX_DIFFERENTIAL picks the size of the run (the number of streams per test):
  quick  (default on a workstation)  a few hundred streams, seconds
  ci     (default when CI is set)    thousands of streams, within the suite's 3-minute budget
  soak                               tens of thousands, for a night
Every profile is derandomized: the same streams on every run, so a failure always reproduces.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

STREAMS_PER_PROFILE = {"quick": 150, "ci": 2_000, "soak": 20_000}
PROFILE = os.environ.get("SPOTEX_DIFFERENTIAL") or ("ci" if os.environ.get("CI") else "quick")
if PROFILE not in STREAMS_PER_PROFILE:
    raise ValueError(f"SPOTEX_DIFFERENTIAL must be one of {sorted(STREAMS_PER_PROFILE)}, not {PROFILE!r}")


def differential_settings(share: float = 1.0) -> settings:
    """Hypothesis settings for one differential test: `share` of the profile's stream count."""
    return settings(
        max_examples=max(1, int(STREAMS_PER_PROFILE[PROFILE] * share)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
    )

