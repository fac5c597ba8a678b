"""Property-based tests (hypothesis) for every parser of outside input.

``FUZZ`` runs 1,000 examples per test. In CI and ``make test`` the examples come from a fixed seed
(``derandomize``), so a run that passes once passes again and a new failure means a change broke
something. To explore new inputs, set ``FRAMEWATCH_FUZZ_EXAMPLES`` (say 20000): the examples are
then random and hypothesis keeps any failure it finds in ``.hypothesis/`` to replay it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_EXPLORE = os.environ.get("FRAMEWATCH_FUZZ_EXAMPLES", "").strip()

FUZZ = settings(
    max_examples=max(1000, int(_EXPLORE)) if _EXPLORE else 1000,
    derandomize=not _EXPLORE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
