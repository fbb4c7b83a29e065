"""For you: a reader's library ranks its topic first, reasons name the library, marks and votes count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperwire.feed.lists import Period
from paperwire.feed.votes import toggle_vote
from paperwire.recommend.for_you import Signals, for_you, rank_candidates
from paperwire.store import library as library_repo
from tests.recommend.conftest import MEDICAL, SPLATTING, reader

DAY = Period.last_days(date(2025, 3, 18), 7)


def _about(pick, *words: str) -> bool:
    text = f"{pick.item.title} {pick.item.abstract}".lower()
    return any(word in text for word in words)


def test_a_library_about_one_topic_gets_that_topic_first(settings, rstore, rengine) -> None:
    splats = reader(rstore, "splat@example.org", SPLATTING)
    medic = reader(rstore, "medic@example.org", MEDICAL)
    first = for_you(rstore, settings, rengine, splats["id"], DAY, limit=5)
    second = for_you(rstore, settings, rengine, medic["id"], DAY, limit=5)
    assert first.total == second.total == 300 - 3  # the day's New on arXiv papers, the reader's own left out
    assert sum(_about(p, "gaussian splatting", "3dgs", "gaussian") for p in first.picks) >= 4
    assert sum(_about(p, "medical", "clinical", "patient", "lesion", "ultrasound") for p in second.picks) >= 3
    assert not {p.item.id for p in first.picks} & {p.item.id for p in second.picks}
    assert not {p.item.id for p in first.picks} & set(SPLATTING)
    # each pick names the one or two library papers it is closest to
    for pick in first.picks:
        assert 1 <= len(pick.because) <= 2 and {b.paper_id for b in pick.because} <= set(SPLATTING)
        assert pick.reason.startswith("because you saved “") and all(b.saved for b in pick.because)
    assert first.picks[0].score >= first.picks[-1].score


def test_not_interested_and_upvotes_change_the_ranking(settings, rstore, rengine) -> None:
    user = reader(rstore, "r@example.org", SPLATTING)
    before = for_you(rstore, settings, rengine, user["id"], DAY, limit=5)
    top = before.picks[0].item.id
    with rstore.write() as conn:
        library_repo.dismiss(conn, user["id"], top, datetime.now(UTC))
    after = for_you(rstore, settings, rengine, user["id"], DAY, limit=5)
    assert top not in {p.item.id for p in after.picks} and after.total == before.total - 1
    # an upvote is a positive too: the upvoted paper leaves the candidates and can be a reason
    toggle_vote(rstore, settings, user["id"], MEDICAL[0])
    voted = for_you(rstore, settings, rengine, user["id"], DAY, limit=300)
    assert MEDICAL[0] not in {p.item.id for p in voted.picks}
    assert any(b.paper_id == MEDICAL[0] and not b.saved for p in voted.picks for b in p.because)
    assert any(p.reason.startswith("because you upvoted") for p in voted.picks)


def test_a_reader_without_papers_gets_a_note(settings, rstore, rengine) -> None:
    user = reader(rstore, "new@example.org", [])
    found = for_you(rstore, settings, rengine, user["id"], DAY)
    assert found.picks == [] and "library" in (found.note or "")


def test_ranking_skips_unindexed_candidates_and_the_readers_own_papers(rengine) -> None:
    ranking = rank_candidates(rengine, Signals(library=tuple(SPLATTING)), [*SPLATTING, "2503.12218", "9999.99999"])
    assert ranking.ids == ["2503.12218"] and ranking.unindexed == 1 and len(ranking.page(0, 10)) == 1
    assert ranking.mine == SPLATTING and ranking.taste is not None
