"""Benchmark of the analysis core on the AllSides corpus, beside a naive pipeline.

framewatch: ``nlp``, ``embed_documents`` and ``topics`` over all 2,949 articles in a fresh study
(imports and model loading included; the one-off ONNX export is timed apart). Quality: NMI and ARI of
that run's ``doc_topics`` against the AllSides topic labels. Then a second study grown by 10% (first
90%, then the rest) and a run with nothing new, for the incremental figures and topic-id stability.

Naive pipeline on the same documents: the full spaCy model on every document, sentence-transformers
with torch on title + text, and BERTopic's default (UMAP + HDBSCAN). spaCy and torch are timed on a
seeded sample (``--naive-sample``) and scaled to the corpus, since run whole they take ~20 minutes on
two cores; BERTopic's default runs on all documents, on vectors of title + text up to the model's
window (what ``BERTopic(embedding_model=…).fit_transform(texts)`` would compute).

    python -m bench.analysis_core            # writes the "Analysis core" section of bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

from bench.memory import PeakMemory
from bench.results import write_section

CORPUS = (
    Path(__file__).resolve().parents[2]
    / "shared/data/allsides_article_bias/subset_12topics_3000.jsonl"
)
INCREMENT_TRIES = 3  # the +10% step is timed on this many copies of the grown study
STAGES = ["nlp", "embed_documents", "topics"]


def peak_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_study(folder: Path, rows: list[dict[str, Any]]) -> Any:
    """A study in ``folder`` with the given AllSides rows imported."""
    from pipeline.config import load_settings

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.toml").write_text('[study]\nname = "allsides"\n', encoding="utf-8")
    settings = load_settings(folder / "study.toml")
    add_rows(settings, rows, folder / "part.jsonl")
    return settings


def add_rows(settings: Any, rows: list[dict[str, Any]], path: Path) -> None:
    """Import AllSides rows with the allsides preset."""
    from pipeline import importer
    from pipeline.store import connect

    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    con = connect(settings.database_path)
    importer.import_file(con, path, importer.resolve_mapping("allsides", {}), fmt="jsonl")
    con.close()


def run_core(settings: Any, cache: Path) -> dict[str, Any]:
    """Run the core stages in a fresh process (cold start, own peak memory); its JSON report."""
    _share_model_cache(settings, cache)
    return run_child("bench.analysis_core", settings)


def run_child(module: str, settings: Any) -> dict[str, Any]:
    """Run ``python -m MODULE --run STUDY`` (a cold start with its own peak memory); its report."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--run", str(settings.source)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_in_process(study_file: Path, stages: list[str] = STAGES) -> dict[str, Any]:
    """The body of ``--run``: time the stages, model loading and imports included."""
    start = time.perf_counter()
    from flows.analyze import run_stages
    from pipeline.config import load_settings
    from pipeline.store import connect

    settings = load_settings(study_file)
    with PeakMemory() as memory:
        con = connect(settings.database_path)
        results = run_stages(con, settings, stages)
        con.close()
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "peak_mib": round(max(memory.peak_mib, peak_mib())),
        "stages": {r.name: {"seconds": r.seconds, **r.counts} for r in results},
    }


def _share_model_cache(settings: Any, cache: Path) -> None:
    """Point the study's model folder at one ONNX export (the export is a one-off per machine)."""
    target = settings.data_path / "models"
    target.mkdir(parents=True, exist_ok=True)
    link = target / "onnx"
    if not link.exists():
        link.symlink_to(cache / "onnx", target_is_directory=True)


def quality(settings: Any) -> dict[str, Any]:
    """NMI, ARI, topics and outliers of doc_topics against the AllSides labels."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pipeline.store import connect

    con = connect(settings.database_path, read_only=True)
    rows = con.execute(
        "SELECT d.extra->>'topic', t.topic_id FROM doc_topics t JOIN documents d USING (doc_id)"
    ).fetchall()
    con.close()
    labels, topics = [r[0] for r in rows], [r[1] for r in rows]
    return {
        "documents": len(rows),
        "nmi": round(normalized_mutual_info_score(labels, topics), 3),
        "ari": round(adjusted_rand_score(labels, topics), 3),
        "topics": len({t for t in topics if t != -1}),
        "outliers": sum(1 for t in topics if t == -1),
    }


def embedder_peak(settings: Any, n: int = 400) -> float:
    """Documents per second of the embedder alone on document texts, warm, one big call."""
    from pipeline.embed import embedding_text, make_embedder
    from pipeline.store import connect

    con = connect(settings.database_path, read_only=True)
    rows = con.execute(
        f"SELECT title, text FROM documents USING SAMPLE {n} ROWS (reservoir, 7)"
    ).fetchall()
    con.close()
    texts = [embedding_text(t, x, settings.analysis.lead_chars) for t, x in rows]
    embedder = make_embedder(settings)
    embedder.embed(texts[:32])
    start = time.perf_counter()
    embedder.embed(texts)
    return round(len(texts) / (time.perf_counter() - start), 1)


def kept_topics(settings: Any, before: dict[str, int]) -> dict[str, Any]:
    """How many old documents kept their topic, stored and when re-assigned by the grown model."""
    from flows.analyze import AnalysisContext
    from models.topic_model import TopicModel
    from pipeline.embed import document_vectors
    from pipeline.store import connect
    from pipeline.topics import topic_folder

    con = connect(settings.database_path)
    model_id = AnalysisContext(con, settings).model_id()
    after = dict(con.execute("SELECT doc_id, topic_id FROM doc_topics").fetchall())
    ids, vectors, _ = document_vectors(con, model_id)
    con.close()
    model = TopicModel.load(topic_folder(settings, model_id))
    again = dict(zip(ids, model.transform(vectors)[0].tolist(), strict=True))
    old = [d for d in before if d in after]
    return {
        "stored_kept": round(sum(after[d] == before[d] for d in old) / len(old), 4),
        "reassigned_kept": round(
            sum(again[d] == before[d] for d in old if before[d] != -1) / len(old), 4
        ),
    }


def naive(rows: list[dict[str, Any]], sample: int, settings: Any) -> dict[str, Any]:
    """Full spaCy and torch on a seeded sample (scaled), BERTopic's default on all documents."""
    import spacy

    from models.embedder import load_sentence_transformer

    rng = np.random.default_rng(7)
    picked = [rows[i] for i in rng.choice(len(rows), sample, replace=False)]
    texts = [r["content_original"] for r in picked]
    start = time.perf_counter()
    nlp = spacy.load(settings.models.spacy)
    words = sum(sum(1 for t in doc if not t.is_punct) for doc in nlp.pipe(texts, batch_size=32))
    spacy_s = time.perf_counter() - start
    start = time.perf_counter()
    model = load_sentence_transformer(settings.models.embedding)
    model.encode([f"{r['title']}. {r['content_original']}" for r in picked], batch_size=32)
    torch_s = time.perf_counter() - start
    scale = len(rows) / sample
    return {
        "sample": sample,
        "spacy_words_per_s": round(words / spacy_s),
        "spacy_s_scaled": round(spacy_s * scale, 1),
        "torch_docs_per_s": round(sample / torch_s, 1),
        "torch_s_scaled": round(torch_s * scale, 1),
        **bertopic_default(settings, model),
    }


def bertopic_default(settings: Any, model: Any) -> dict[str, Any]:
    """BERTopic() with its defaults on title + text, embedded whole (cut by the model's window)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pipeline.embed import make_embedder
    from pipeline.store import connect

    con = connect(settings.database_path, read_only=True)
    ids = [r[0] for r in con.execute("SELECT doc_id FROM doc_topics ORDER BY doc_id").fetchall()]
    docs = dict(con.execute("SELECT doc_id, title || '. ' || text FROM documents").fetchall())
    labels = dict(con.execute("SELECT doc_id, extra->>'topic' FROM documents").fetchall())
    con.close()
    texts = [docs[i] for i in ids]
    vectors = make_embedder(settings).embed(texts)
    start = time.perf_counter()
    from bertopic import BERTopic

    topics, _ = BERTopic(embedding_model=model).fit_transform(texts, vectors)
    truth = [labels[i] for i in ids]
    return {
        "bertopic_s": round(time.perf_counter() - start, 1),
        "bertopic_nmi": round(normalized_mutual_info_score(truth, topics), 3),
        "bertopic_ari": round(adjusted_rand_score(truth, topics), 3),
        "bertopic_outliers": int(sum(1 for t in topics if t == -1)),
    }


def export_once(cache: Path) -> float:
    """Export the ONNX variants into ``cache`` (a one-off per machine); seconds."""
    from models.embedder import Embedder

    start = time.perf_counter()
    Embedder(backend="auto", cache_dir=cache)
    return round(time.perf_counter() - start, 1)


def grown_study(folder: Path, rows: list[dict[str, Any]], cache: Path) -> dict[str, Any]:
    """90% of the corpus (seeded), then the other 10%, then a run with nothing new."""
    from pipeline.store import connect

    order = np.random.default_rng(11).permutation(len(rows))
    cut = int(len(rows) * 0.9)
    settings = make_study(folder, [rows[i] for i in sorted(order[:cut])])
    first = run_core(settings, cache)
    print(json.dumps({"first": first}), flush=True)
    con = connect(settings.database_path, read_only=True)
    before = dict(con.execute("SELECT doc_id, topic_id FROM doc_topics").fetchall())
    con.close()
    # A 30-second run varies by about 10% from one try to the next: the +10% step runs on
    # INCREMENT_TRIES copies of the grown study, and the median try is the one reported.
    from pipeline.config import load_settings

    new_rows = [rows[i] for i in sorted(order[cut:])]
    tries = []
    for n in range(INCREMENT_TRIES):
        copy = folder.with_name(f"{folder.name}-try{n}")
        shutil.copytree(folder, copy, symlinks=True)
        grown = load_settings(copy / "study.toml")
        add_rows(grown, new_rows, copy / "more.jsonl")
        tries.append((run_core(grown, cache), grown))
        print(json.dumps({"more": tries[-1][0]}), flush=True)
    tries.sort(key=lambda t: float(t[0]["seconds"]))
    more, settings = tries[len(tries) // 2]
    more = {**more, "tries": [t[0]["seconds"] for t in tries]}
    again = run_core(settings, cache)
    print(json.dumps({"again": again}), flush=True)
    report = {"first_docs": cut, "first": first, "more": more, "again": again}
    return {**report, **kept_topics(settings, before), "settings": settings}


def main() -> None:
    """Run the benchmark and write its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--limit", type=int, help="only the first N articles (a quick check)")
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_in_process(args.run)))
        return
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is absent: the shared real-data folder is not on this machine")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rows = rows[: args.limit] if args.limit else rows
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report: dict[str, Any] = {"load_avg_start": os.getloadavg()[0]}
        report["export_s"] = export_once(root / "cache")
        whole = make_study(root / "whole", rows)
        report["whole"] = run_core(whole, root / "cache")
        print(json.dumps({"whole": report["whole"]}), flush=True)
        report["quality"] = quality(whole)
        report["embedder_peak_docs_per_s"] = embedder_peak(whole)
        grown = grown_study(root / "study", rows, root / "cache")
        grown.pop("settings")
        report["grown"] = grown
        report["naive"] = naive(rows, args.naive_sample, whole)
        report["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    if not args.limit:
        out = Path(__file__).with_name("analysis_core.json")
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        write_section("Analysis core", render(report, len(rows)))
    else:
        print(render(report, len(rows)))


def render(r: dict[str, Any], n: int) -> str:
    """The RESULTS.md section from the report."""
    g, naive_, q, whole = r["grown"], r["naive"], r["quality"], r["whole"]
    stages = whole["stages"]
    naive_s = naive_["spacy_s_scaled"] + naive_["torch_s_scaled"] + naive_["bertopic_s"]
    embed_rate = stages["embed_documents"]["documents"] / max(
        stages["embed_documents"]["seconds"], 1e-9
    )
    lines = [
        f"AllSides, {n:,} articles, 12 labelled topics; `python -m bench.analysis_core`. Load average "
        f"{r['load_avg_start']:.1f} at the start, {r['load_avg_end']:.1f} at the end (2 cores).",
        "",
        "| run | seconds | notes |",
        "|---|---|---|",
        f"| **framewatch, all {n:,} articles** (nlp + document embeddings + topics; imports and model "
        f"loading included) | **{whole['seconds']}** | {n / whole['seconds']:.1f} docs/s; peak memory "
        f"{whole['peak_mib']:,} MiB |",
        *(f"| &nbsp;&nbsp;{k} | {v['seconds']} | {_counts(v)} |" for k, v in stages.items()),
        f"| naive (full spaCy + torch + BERTopic default) on {n:,} | {naive_s:.0f} | spaCy "
        f"{naive_['spacy_s_scaled']} s ({naive_['spacy_words_per_s']:,} words/s) and torch "
        f"{naive_['torch_s_scaled']} s ({naive_['torch_docs_per_s']} docs/s) timed on "
        f"{naive_['sample']} articles and scaled; BERTopic {naive_['bertopic_s']} s on all |",
        f"| **speed-up** | **{naive_s / whole['seconds']:.1f}x** | |",
        f"| grown study: first run on {g['first_docs']:,} articles (90%) | {g['first']['seconds']} | |",
        f"| +10% ({n - g['first_docs']} new articles) | {g['more']['seconds']} | "
        f"{g['more']['seconds'] / g['first']['seconds']:.2f} of the first run (median of "
        f"{len(g['more'].get('tries', [0]))} tries: "
        f"{', '.join(str(t) for t in g['more'].get('tries', [g['more']['seconds']]))} s); "
        f"topics added {g['more']['stages']['topics']['topics_added']} |",
        f"| again, nothing new | {g['again']['seconds']} | embedded "
        f"{g['again']['stages']['embed_documents']['embedded']}, documents analysed "
        f"{g['again']['stages']['nlp'].get('documents', 0)} |",
        f"| ONNX export (once per machine) | {r['export_s']} | |",
        "",
        f"Embedding: {embed_rate:.1f} docs/s in the pipeline; the embedder alone, warm, on the same "
        f"texts reached {r['embedder_peak_docs_per_s']} docs/s "
        f"({embed_rate / r['embedder_peak_docs_per_s']:.0%} of that peak).",
        "",
        "| topics (all articles) | NMI | ARI | topics | outliers |",
        "|---|---|---|---|---|",
        f"| framewatch (PCA 50 + k-means, k by silhouette on 20 components) | {q['nmi']} | {q['ari']} | "
        f"{q['topics']} | {q['outliers']} |",
        f"| BERTopic default (UMAP + HDBSCAN) on title + text | {naive_['bertopic_nmi']} | "
        f"{naive_['bertopic_ari']} | | {naive_['bertopic_outliers']} |",
        "| BERTopic default as measured in issue 4 (torch vectors of title + text) | 0.816 | 0.787 | 24 | 109 |",
        "",
        f"Topic ids after +10%: {g['stored_kept']:.1%} of the old articles keep their stored topic; "
        f"re-assigned by the grown model, {g['reassigned_kept']:.1%} would get the same id.",
        "",
        "Targets (issue 4) in this run: "
        + "; ".join(
            f"{name} — {'met' if ok else 'NOT met'}"
            for name, ok in (
                ("whole analysis under 4 minutes", whole["seconds"] < 240),
                ("at least 5x the naive pipeline", naive_s / whole["seconds"] >= 5),
                ("peak memory under 4 GiB", whole["peak_mib"] < 4096),
                ("NMI at least the default's", q["nmi"] >= naive_["bertopic_nmi"]),
                ("fewer outliers", q["outliers"] < naive_["bertopic_outliers"]),
                ("+10% at most a fifth", g["more"]["seconds"] <= g["first"]["seconds"] / 5),
                ("at least 90% keep their topic", g["stored_kept"] >= 0.9),
            )
        )
        + ". Times vary by 10–15% from run to run on this machine (150 s and 168 s for the "
        "whole analysis in two idle runs half an hour apart on 2026-12-01; the first run in a new "
        "virtual environment pays about 30 s more, for numba's cache, in the topics stage).",
    ]
    return "\n".join(lines)


def _counts(stage: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in stage.items() if k != "seconds")


if __name__ == "__main__":
    main()
