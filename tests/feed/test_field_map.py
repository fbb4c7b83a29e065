"""The map's pure parts on real papers and their real vectors: layout, clusters, cluster words, the cached form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from paperwire.feed import field_map
from paperwire.feed.field_map import FieldMap
from tests.feed import map_papers


@pytest.fixture(scope="module")
def two_topics() -> tuple[list[str], np.ndarray, list[str], set[str]]:
    """Papers of 2025-03-18 on two topics: Gaussian splatting (3-D scenes) and vision-language models; real vectors."""
    rows, splatting = map_papers.two_topics()
    ids = [row["id"] for row in rows]
    return ids, map_papers.fixture_vectors(ids), [f"{row['title']}. {row['abstract']}" for row in rows], splatting


def test_two_topics_make_two_clusters_named_by_their_words(two_topics) -> None:
    ids, vectors, texts, splatting = two_topics
    drawn = field_map.draw(ids, vectors, texts)
    assert drawn.ids == tuple(ids) and drawn.coords.shape == (len(ids), 2)
    assert ((drawn.coords >= 0) & (drawn.coords <= 1)).all()
    assert len(drawn.labels) == 2
    topic_of = {pid: pid in splatting for pid in ids}
    for cluster in drawn.labels:
        members = [pid for pid, number in zip(ids, drawn.clusters, strict=True) if number == cluster.number]
        majority = max(sum(topic_of[m] for m in members), sum(not topic_of[m] for m in members))
        assert majority >= len(members) - 1, f"cluster {cluster.label} mixes the topics"
        words = set(cluster.words)
        assert len(words) == field_map.LABEL_WORDS
        member_texts = [texts[ids.index(m)].lower() for m in members]
        for word in words:  # every label word is in at least two of the cluster's papers
            assert sum(word in text for text in member_texts) >= 2, word
    names = {label.label for label in drawn.labels}
    splat_label = next(
        label for label in drawn.labels if words_of(label) & {"gaussian", "splatting", "scene", "scenes"}
    )
    language_label = next(label for label in drawn.labels if label is not splat_label)
    assert words_of(language_label) & {"language", "vision", "multimodal", "llms", "models", "visual", "mllms"}, names


def words_of(cluster: field_map.Cluster) -> set[str]:
    return set(cluster.words)


def test_the_layout_keeps_neighbours_together(two_topics) -> None:
    """Each paper's nearest neighbour on the map is mostly on its own topic (the vectors separate the two)."""
    ids, vectors, _, splatting = two_topics
    coords = field_map.layout(vectors)
    distances = np.linalg.norm(coords[:, None, :] - coords[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    same = sum((ids[i] in splatting) == (ids[j] in splatting) for i, j in enumerate(nearest))
    assert same >= 0.9 * len(ids)


def test_tiny_maps() -> None:
    assert field_map.draw([], np.zeros((0, 4)), []).ids == ()
    one = field_map.draw(["2501.00001"], np.ones((1, 4), np.float32), ["A lone paper on graphs."])
    assert one.coords.tolist() == [[0.5, 0.5]] and one.clusters.tolist() == [0]
    rng = np.random.default_rng(1)
    three = field_map.draw(["a", "b", "c"], rng.normal(size=(3, 8)), ["graphs here", "graphs there", "graphs too"])
    assert three.coords.shape == (3, 2) and len(set(map(tuple, three.coords.tolist()))) == 3
    assert three.labels[0].words == ("graphs",)
    with pytest.raises(ValueError, match="one of each"):
        field_map.draw(["a"], np.zeros((2, 4)), ["x"])


def test_cluster_words_skip_stop_words_boilerplate_maths_and_markup() -> None:
    texts = [
        "We propose a novel method for protein folding with $\\alpha$ helices <b>bold</b>.",
        "This paper presents protein folding results; the method is new.",
        "Galaxy surveys measure dark matter halos.",
        "Dark matter halos in galaxy surveys, a novel approach.",
    ]
    words = field_map.cluster_words(texts, np.array([0, 0, 1, 1]))
    assert set(words[0]) == {"protein", "folding"}  # "helices" is in one paper only; "alpha" and "bold" are not words
    assert set(words[1]) <= {"galaxy", "surveys", "dark", "matter", "halos"} and len(words[1]) == 3
    assert field_map.cluster_words(["the and of", "we propose"], np.array([0, 0])) == {0: ()}
    agents = ["Agents and an agent plan tools.", "An agent uses tools; agents plan.", "Agents plan with tools."]
    (named,) = field_map.cluster_words(agents, np.zeros(3, int)).values()
    assert sorted(named) == ["agents", "plan", "tools"]  # "agent" is the same word as "agents"


def test_the_cached_form_round_trips(two_topics) -> None:
    ids, vectors, texts, _ = two_topics
    drawn = field_map.draw(ids[:10], vectors[:10], texts[:10], key="k" * 64, missing=["2503.99999"])
    again = FieldMap.from_dict(json.loads(json.dumps(drawn.as_dict())))
    assert again.ids == drawn.ids and again.key == drawn.key and again.missing == ("2503.99999",)
    assert np.allclose(again.coords, drawn.coords, atol=1e-4)
    assert again.clusters.tolist() == drawn.clusters.tolist() and again.labels == drawn.labels
