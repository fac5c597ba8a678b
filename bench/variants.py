"""Texts a second of each embedding variant on this machine, beside what ``auto`` picks.

A measurement only: ``auto`` picks by what the CPU computes natively
(:func:`models.onnx_export.auto_preference`) and never reads a timing, so this changes nothing a
study stores. Use it to check that the rule still names a fast variant on a new kind of CPU.

    python -m bench.variants [--model all-MiniLM-L6-v2]

The export is read from (or made in) the machine's model cache, as a study would.
"""

from __future__ import annotations

import argparse
import json
import platform


def main() -> None:
    from models.onnx_export import auto_preference, auto_reason, measure_speeds, openvino_precision
    from pipeline.embed import model_cache

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args()
    speeds = measure_speeds(args.model, model_cache())
    report = {
        "machine": platform.processor() or platform.machine(),
        "openvino_precision": openvino_precision(),
        "auto_preference": list(auto_preference()),
        "auto_reason": auto_reason(),
        "texts_per_second": speeds,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
