"""Composition: trending plus personal picks within the period, each paper once, never resent, with reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from paperwire.accounts.users import add_user
from paperwire.digest.compose import compose
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.feed.lists import Period, build_list
from paperwire.papers.ingest import ingest_items
from paperwire.papers.load import ingest_paths
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.recommend.for_you import for_you
from paperwire.store import accounts as accounts_repo
from paperwire.store import digests as repo

DAY = Period.day(date(2025, 3, 18))


def _record_sent(store, subscription, ids, period="daily:2025-03-18"):
    now = datetime.now(UTC)
    with store.write() as conn:
        delivery = repo.claim(conn, subscription["id"], period, "test", now, stale_before=now, max_attempts=5)
        assert repo.mark_sent(
            conn, delivery, "test", subscription_id=subscription["id"], message_id="<x@y>", paper_ids=ids, now=now
        )


def test_trending_and_picks_with_reasons(dsettings, dstore, engine) -> None:
    prefs = Preferences(
        top_n=5, topics=("gaussian splatting",), categories=("cs.RO",), authors=("Wenqi Shao",), use_upvotes=False
    )
    sub = add_subscriber(dstore, "reader@example.org", prefs, confirmed=True)
    digest = compose(dstore, dsettings, engine, sub, DAY)
    assert digest.skipped_reason is None
    trending = build_list(dstore, dsettings, DAY, limit=5)
    assert [p.id for p in digest.trending] == [item.id for item in trending.items]  # the site's own ranking
    ids = digest.paper_ids
    assert len(ids) == len(set(ids)), "a paper appears twice in one digest"
    assert 0 < len(digest.picks) <= 5
    whys = " | ".join(p.why for p in digest.picks + digest.trending)
    assert "matches your topic 'gaussian splatting'" in whys
    assert "in cs.RO" in whys
    assert "by Wenqi Shao" in whys
    for pick in digest.picks:
        assert pick.published == date(2025, 3, 18)
        if "by Wenqi Shao" in pick.why:
            assert "Wenqi Shao" in pick.authors
        if pick.why.startswith("in cs.RO"):
            assert "cs.RO" in pick.categories
        assert pick.snippet and len(pick.snippet) <= 281


def test_never_resends_a_paper_in_any_version(dsettings, dstore, engine, tmp_path: Path) -> None:
    sub = add_subscriber(dstore, "reader@example.org", Preferences(top_n=10, topics=("segmentation",)), confirmed=True)
    first = compose(dstore, dsettings, engine, sub, DAY)
    _record_sent(dstore, sub, first.paper_ids)
    revised = first.trending[0]
    update = tmp_path / "v2.jsonl"
    update.write_text(
        f'{{"id": "{revised.id}v2", "title": "A revised title", "abstract": "New text.", "authors": ["A B"], '
        '"categories": ["cs.CV"], "published": "2025-03-18"}\n'
    )
    ingest_paths(dstore, [update])
    engine.sync()
    second = compose(dstore, dsettings, engine, sub, DAY)
    assert second.skipped_reason is None
    assert not set(second.paper_ids) & set(first.paper_ids)
    assert revised.id not in second.paper_ids


def test_skip_reasons(dsettings, dstore, engine) -> None:
    sub = add_subscriber(dstore, "reader@example.org", Preferences(topics=("diffusion",)), confirmed=True)
    sunday = compose(dstore, dsettings, engine, sub, Period.day(date(2025, 3, 16)))
    assert sunday.skipped_reason == "arXiv announced nothing on Sunday 16 March 2025 (a weekend or holiday)"
    assert not sunday.trending and not sunday.picks
    everything = build_list(dstore, dsettings, DAY).items
    _record_sent(dstore, sub, [item.id for item in everything])
    done = compose(dstore, dsettings, engine, sub, DAY)
    assert done.skipped_reason == "nothing new since your last digest"


def test_trending_by_upvotes_and_recommendations(dsettings, dstore, engine) -> None:
    user = add_user(dstore, "voter@example.org")
    liked = [item.id for item in build_list(dstore, dsettings, DAY, sort="newest", limit=3).items]
    with dstore.write() as conn:
        for paper_id in liked:
            accounts_repo.add_vote(conn, user["id"], paper_id, datetime.now(UTC))
    sub = add_subscriber(
        dstore, "voter@example.org", Preferences(top_n=3, use_upvotes=True), confirmed=True, user_id=user["id"]
    )
    digest = compose(dstore, dsettings, engine, sub, DAY)
    recommended = [p for p in digest.picks if p.why == "picked for you from your library and upvotes"]
    assert recommended, [p.why for p in digest.picks]
    assert not set(liked) & {p.id for p in recommended}
    # the site's For you ranking, not a copy of it: the digest's picks are its best papers, in its order
    ranked = [
        pick.item.id for pick in for_you(dstore, dsettings, engine, user["id"], DAY, limit=len(recommended)).picks
    ]
    assert [p.id for p in recommended] == ranked
    hf = compose(dstore, dsettings, engine, sub, Period.day(date(2026, 2, 3)))
    upvotes = [p.upvotes for p in hf.trending]
    assert upvotes == sorted(upvotes, reverse=True) and upvotes[0] > 0
    assert hf.trending[0].why.startswith(f"trending, {upvotes[0]} upvotes")


def test_searching_ahead_gives_the_digests_of_searching_in_turn(dsettings, dstore, engine) -> None:
    from paperwire.digest.compose import Composer

    hybrid = dsettings.model_copy(update={"digest_topic_mode": "hybrid"})
    topics = [("gaussian splatting", "segmentation"), ("Segmentation", "depth estimation"), ("robot grasping",)]
    subs = [
        add_subscriber(
            dstore, f"r{i}@example.org", Preferences(top_n=5, topics=t, categories=("cs.RO",)), confirmed=True
        )
        for i, t in enumerate(topics)
    ]
    in_turn = [Composer(dstore, hybrid, engine).compose(s, DAY) for s in subs]
    ahead = Composer(dstore, hybrid, engine, ahead=True)
    try:
        ahead.prepare((s, DAY) for s in subs)
        composed = [ahead.compose(s, DAY) for s in subs]
    finally:
        ahead.close()
    assert composed == in_turn
    assert any(d.picks for d in composed)


def test_trending_holds_daily_papers_and_picks_draw_on_new_on_arxiv_too(dsettings, dstore, engine) -> None:
    """A day with new arXiv papers but no community picks: nothing trends, a topic still finds its papers, and
    once they were sent the digest says nothing new (not that arXiv announced nothing)."""
    day = date(2025, 3, 19)
    record = PaperRecord(
        "2503.99001",
        "Diffusion models for segmentation",
        "Diffusion for segmentation.",
        ("A B",),
        ("cs.CV",),
        version=1,
        published=day,
    )
    assert not ingest_items(dstore, [ParsedItem(record, "test", 1)], source="test").errors
    engine.sync()
    sub = add_subscriber(dstore, "reader@example.org", Preferences(topics=("diffusion",)), confirmed=True)
    digest = compose(dstore, dsettings, engine, sub, Period.day(day))
    assert not digest.trending and [p.id for p in digest.picks] == ["2503.99001"]
    _record_sent(dstore, sub, ["2503.99001"])
    again = compose(dstore, dsettings, engine, sub, Period.day(day))
    assert again.skipped_reason == "nothing new since your last digest"
    other = add_subscriber(dstore, "theorist@example.org", Preferences(categories=("hep-th",)), confirmed=True)
    quiet = compose(dstore, dsettings, engine, other, Period.day(day))
    assert quiet.skipped_reason == "nothing new since your last digest"  # arXiv did announce papers that day
