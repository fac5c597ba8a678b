"""The study's deployments carry its schedule, time zone and study file; prefect.yaml is valid."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.weekly import study_deployments
from pipeline.config import load_settings

STUDY = """\
[study]
name = "berlin"

[[outlets]]
name = "ledger"
feeds = ["https://ledger.example/rss.xml"]

[schedule]
weekly = "30 7 * * 2"
crawl = "15 */6 * * *"
timezone = "Europe/Berlin"
"""


def test_study_deployments_follow_the_study_schedule(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(STUDY, encoding="utf-8")
    deployments = {d.name: d for d in study_deployments(load_settings(path))}
    assert set(deployments) == {"berlin-weekly", "berlin-crawl"}
    weekly, crawl = deployments["berlin-weekly"], deployments["berlin-crawl"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in weekly.schedules] == [
        ("30 7 * * 2", "Europe/Berlin")
    ]
    assert [(s.schedule.cron, s.schedule.timezone) for s in crawl.schedules] == [
        ("15 */6 * * *", "Europe/Berlin")
    ]
    assert weekly.parameters == {"study_file": str(path.resolve())}
    assert weekly.entrypoint.endswith("flows/weekly.py:weekly_flow")
    assert crawl.entrypoint.endswith("flows/crawl.py:crawl_flow")


def test_prefect_yaml_points_at_real_flows() -> None:
    root = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((root / "prefect.yaml").read_text())
    entrypoints = {d["name"]: d["entrypoint"] for d in config["deployments"]}
    assert entrypoints == {
        "weekly": "flows/weekly.py:weekly_flow",
        "daily-crawl": "flows/crawl.py:crawl_flow",
    }
    for entrypoint in entrypoints.values():
        module, function = entrypoint.split(":")
        assert f"def {function}(" in (root / module).read_text()
