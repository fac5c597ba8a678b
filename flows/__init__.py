"""Prefect flows and the `framewatch` CLI: thin shells over `pipeline`.

Importing this package sets the environment Prefect and the model libraries need here before
they are imported: no telemetry, no model hub, and time for Prefect's local server to start on a
slow machine. A user's own settings win (``setdefault``).
"""

import os

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}.items():
    os.environ.setdefault(_name, _value)
