"""Themes (balanced clustering, c-TF-IDF names, narrative order) and gallery geometry: cores."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from exhibits.curation import galleries, themes
from exhibits.curation.embeddings import HashingEncoder

# Three clear groups; the words each shares are what a name should pick.
GROUPS = {
    "helmet": [
        "Bronze helmet. Etruscan. Italia. bronze",
        "Crested bronze helmet. Etruscan. Italia. bronze, iron",
        "Helmet with cheek pieces. Etruscan. Italia. bronze",
        "Bronze helmet of Negau type. Etruscan. Italia. bronze",
        "Corinthian helmet. Greek. Ellás. bronze",
        "Helmet. Etruscan. Italia. bronze, gold leaf",
    ],
    "ivory": [
        "Ivory plaque with the Nativity. Byzantine. ivory",
        "Plaque with saints. Byzantine. Konstantinoupolis. ivory",
        "Ivory plaque of the Crucifixion. Byzantine. ivory, traces of gilding",
        "Diptych leaf plaque. Byzantine. ivory",
        "Ivory plaque with Christ enthroned. Byzantine. ivory",
        "Casket plaque with warriors. Byzantine. ivory, bone",
    ],
    "tsuba": [
        "Tsuba with waves. Japanese. Nihon. iron, sword guard",
        "Tsuba with dragonflies. Japanese. Nihon. iron, gold inlay, sword guard",
        "Round tsuba. Edo. Nihon. iron, sword guard",
        "Tsuba with plum blossoms. Japanese. shakudo, sword guard",
        "Openwork tsuba. Japanese. Nihon. iron",
        "Tsuba with cranes. Japanese. Nihon. iron, copper, sword guard",
    ],
}
TEXTS = [text for texts in GROUPS.values() for text in texts]
TRUTH = [name for name, texts in GROUPS.items() for _ in texts]


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return HashingEncoder(dim=512).encode(TEXTS)


def group_of(members: list[int]) -> set[str]:
    return {TRUTH[i] for i in members}


def test_suggestion_recovers_the_groups_and_names_them_by_distinctive_terms(vectors) -> None:
    suggestion = themes.suggest(vectors, TEXTS, n_rooms=3, per_room=6, seed=0)
    assert len(suggestion.themes) == 3
    for theme in suggestion.themes:
        (group,) = group_of(theme.members)
        terms = [term.term for term in theme.terms]
        assert group in " ".join(terms[:3]), (group, terms)
        assert group.lower() in theme.name.lower()
        other = {"helmet", "ivory", "tsuba"} - {group}
        assert not other & set(terms)
        top = theme.terms[0]
        assert top.count >= 4 and top.share == round(top.count / 6, 3)


def test_same_input_same_seed_same_suggestion(vectors) -> None:
    runs = [themes.suggest(vectors, TEXTS, n_rooms=4, per_room=5, seed=7) for _ in range(2)]
    for a, b in zip(runs[0].themes, runs[1].themes, strict=True):
        assert (a.members, a.name, a.central, a.neighbours) == (
            b.members,
            b.name,
            b.central,
            b.neighbours,
        )
    assert runs[0].path_similarities == runs[1].path_similarities


@pytest.mark.parametrize(("rooms", "per_room"), [(3, 6), (4, 5), (2, 9), (5, 4)])
def test_balanced_every_object_placed_once_when_rooms_suffice(vectors, rooms, per_room) -> None:
    suggestion = themes.suggest(vectors, TEXTS, n_rooms=rooms, per_room=per_room, seed=1)
    placed = [i for theme in suggestion.themes for i in theme.members]
    assert sorted(placed) == list(range(len(TEXTS)))
    assert all(len(theme.members) <= per_room for theme in suggestion.themes)
    assert len(suggestion.themes) <= rooms and suggestion.unplaced == []


def test_too_few_places_leaves_the_farthest_objects_out_and_says_so(vectors) -> None:
    suggestion = themes.suggest(vectors, TEXTS, n_rooms=3, per_room=4, seed=0)
    placed = [i for theme in suggestion.themes for i in theme.members]
    assert len(placed) == 12 and len(set(placed)) == 12
    assert sorted(placed + suggestion.unplaced) == list(range(len(TEXTS)))


def test_capacitated_assignment_is_the_exact_optimum() -> None:
    rng = np.random.default_rng(3)
    points, centroids = rng.normal(size=(7, 3)), rng.normal(size=(3, 3))
    labels = themes.capacitated_assignment(points, centroids, capacity=3)
    cost = ((points[:, None] - centroids[None]) ** 2).sum(axis=2)
    best = min(
        sum(cost[i, c] for i, c in enumerate(choice))
        for choice in itertools.product(range(3), repeat=7)
        if max(choice.count(c) for c in range(3)) <= 3
    )
    assert np.bincount(labels, minlength=3).max() <= 3
    assert sum(cost[i, c] for i, c in enumerate(labels)) == pytest.approx(best)


def test_narrative_path_puts_similar_rooms_next_to_each_other() -> None:
    hidden = [3, 0, 4, 1, 5, 2]  # a chain: each room resembles the next in this order
    similarity = np.full((6, 6), 0.1)
    for a, b in itertools.pairwise(hidden):
        similarity[a, b] = similarity[b, a] = 0.9
    np.fill_diagonal(similarity, 1.0)
    path = themes.narrative_path(similarity)
    assert path in (hidden, hidden[::-1])


def test_two_opt_improves_a_greedy_trap() -> None:
    points = np.array([0.0, 1.0, 1.9, 3.2, -1.05])  # nearest-neighbour alone zigzags
    similarity = 1.0 - np.abs(points[:, None] - points[None, :]) / 10
    path = themes.narrative_path(similarity)
    assert [points[i] for i in path] in (sorted(points), sorted(points)[::-1])


def test_objects_ordered_by_date_when_most_are_dated_else_by_similarity(vectors) -> None:
    members = vectors[:4]
    centre = members.mean(axis=0)
    order, how = themes.order_members(members, [1500.0, -400.0, None, 10.0], centre)
    assert how == "date" and order == [1, 3, 0, 2]
    order, how = themes.order_members(members, [None, None, None, 5.0], centre)
    assert how == "similarity" and sorted(order) == [0, 1, 2, 3]
    assert order[0] == int(np.argmax(members @ centre))


def test_rooms_start_with_the_older_objects(vectors) -> None:
    years = [-500.0] * 6 + [900.0] * 6 + [1800.0] * 6
    suggestion = themes.suggest(vectors, TEXTS, n_rooms=3, per_room=6, seed=0, years=years)
    first, last = suggestion.themes[0].members, suggestion.themes[-1].members
    assert years[first[0]] <= years[last[0]]


def test_explanations_stay_inside_the_room(vectors) -> None:
    suggestion = themes.suggest(vectors, TEXTS, n_rooms=3, per_room=6, seed=0)
    for theme in suggestion.themes:
        members = set(theme.members)
        assert len(theme.central) == 3 and {i for i, _ in theme.central} <= members
        assert [i for i, _, _ in theme.neighbours] == theme.members
        for i, j, similarity in theme.neighbours:
            assert j in members and i != j and -1.0 <= similarity <= 1.0 + 1e-9
        assert 0.0 < theme.cohesion <= 1.0 + 1e-9


def test_degenerate_inputs() -> None:
    assert themes.suggest(np.zeros((0, 4)), [], n_rooms=3, per_room=2).themes == []
    one = themes.suggest(np.ones((1, 4)), ["Bronze helmet"], n_rooms=3, per_room=2)
    assert [theme.members for theme in one.themes] == [[0]]
    with pytest.raises(ValueError):
        themes.suggest(np.ones((2, 4)), ["a"], n_rooms=1, per_room=2)


def test_analyser_keeps_bigrams_inside_a_field() -> None:
    terms = themes.analyse("Tsuba with waves. Japanese. iron, sword guard. Egyptian [Artist]")
    assert "sword guard" in terms and "tsuba waves" in terms
    assert "waves japanese" not in terms and "artist" not in terms


# --- galleries -------------------------------------------------------------------------------


def test_grid_layout_is_a_serpentine_of_neighbouring_rooms() -> None:
    plans = galleries.layout([10, 40, 12, 8, 30], style="grid")
    cell = max(plan.width_m for plan in plans)
    for a, b in itertools.pairwise(plans):
        assert abs(a.x_m - b.x_m) + abs(a.y_m - b.y_m) == pytest.approx(cell)
    assert [p.is_entrance for p in plans] == [True, False, False, False, False]
    assert [p.is_exit for p in plans] == [False, False, False, False, True]
    assert len({(p.x_m, p.y_m) for p in plans}) == 5


def test_corridor_rooms_touch_and_passages_cost_walking_plus_door() -> None:
    plans = galleries.layout([4, 100], style="corridor", origin=(10.0, 0.0))
    assert plans[0].width_m == galleries.MIN_SIDE_M and plans[1].width_m == 20.0
    assert plans[0].x_m - plans[0].width_m / 2 == 10.0
    assert plans[1].x_m - plans[0].x_m == pytest.approx((6.0 + 20.0) / 2)
    (passage,) = galleries.passages(plans)
    assert passage.walking_seconds == pytest.approx(13.0 / 1.2 + galleries.DOOR_SECONDS, abs=0.1)
    assert plans[1].capacity == 100 and galleries.floor_extent(plans) == (26.0, 20.0)
