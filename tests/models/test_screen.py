"""The learned screen: recall on its sample, cues always through, saved and reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.screen import TARGET_RECALL, Screen, ScreenFit, fit_screen, load_fit


class Lookup:
    """A stand-in static embedder: each text is the index of a row of a fixed matrix."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.vectors[[int(t) for t in texts]]


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping clouds: a quarter of the sentences are 'flagged'."""
    rng = np.random.default_rng(seed)
    flagged = rng.random(n) < 0.25
    vectors = rng.normal(size=(n, 16)) + np.where(flagged[:, None], 1.2, 0.0) * np.eye(16)[0]
    return vectors.astype(np.float32), flagged


def no_cues(n: int) -> np.ndarray:
    return np.zeros((n, 2), dtype=bool)


def test_the_screen_keeps_its_recall_on_unseen_sentences_and_drops_many_others() -> None:
    vectors, flagged = sample(3000, seed=1)
    fit = fit_screen(vectors, no_cues(3000), flagged, np.zeros(len(flagged), dtype=bool))
    assert fit is not None
    assert fit.recall >= TARGET_RECALL and fit.positives == int(flagged.sum())
    fresh, fresh_flagged = sample(3000, seed=2)
    passed = Screen(fit, Lookup(fresh)).passes(
        [str(i) for i in range(len(fresh))], no_cues(3000), np.zeros(len(fresh), dtype=bool)
    )
    assert passed[fresh_flagged].mean() >= 0.95
    assert passed[~fresh_flagged].mean() < 0.9  # it does save work
    assert abs(passed.mean() - fit.pass_rate) < 0.05


def test_a_cue_is_a_feature_and_a_rebuttal_always_goes_to_the_full_model() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, 16)).astype(np.float32)
    support = np.zeros((600, 2), dtype=bool)
    support[:150, 0] = True  # the full detector flags exactly the sentences with a cue
    fit = fit_screen(vectors, support, support[:, 0], np.zeros(600, dtype=bool))
    assert fit is not None and fit.recall >= TARGET_RECALL and fit.pass_rate < 0.4
    forced = np.zeros(600, dtype=bool)
    forced[500:510] = True
    strict = ScreenFit(fit.weights, fit.bias, 1.01, fit.sample, fit.positives, 1.0, 0.0)
    passed = Screen(strict, Lookup(vectors)).passes([str(i) for i in range(600)], support, forced)
    assert passed[500:510].all() and passed.sum() == 10


def test_too_few_flagged_sentences_give_no_screen() -> None:
    vectors, _ = sample(500, seed=4)
    flagged = np.zeros(500, dtype=bool)
    flagged[:10] = True
    assert fit_screen(vectors, no_cues(500), flagged, np.zeros(500, dtype=bool)) is None
    assert fit_screen(vectors, no_cues(500), ~flagged, np.zeros(500, dtype=bool)) is None


def test_a_saved_screen_loads_back_and_an_old_version_is_ignored(tmp_path: Path) -> None:
    vectors, flagged = sample(600, seed=5)
    fit = fit_screen(vectors, no_cues(600), flagged, np.zeros(600, dtype=bool))
    assert fit is not None
    path = tmp_path / "screen.json"
    Screen(fit, Lookup(vectors)).save(path)
    assert load_fit(path) == fit
    path.write_text(path.read_text().replace('"version": 1', '"version": 0'))
    assert load_fit(path) is None
    assert load_fit(tmp_path / "absent.json") is None
