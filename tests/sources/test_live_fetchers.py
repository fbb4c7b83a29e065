"""The live fetchers (arXiv API, OAI-PMH, Hugging Face) against a server replaying recorded responses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from paperwire.config import Settings
from paperwire.errors import InvalidInput, SourceUnavailable
from paperwire.papers.record import ParsedItem
from paperwire.sources.arxiv_api import check_category, fetch_category, fetch_ids
from paperwire.sources.hf_api import fetch_daily
from paperwire.sources.http import PoliteClient
from paperwire.sources.oai_harvest import harvest
from tests.sources.replay import ReplayServer, Reply, fixture

API = "/api/query"
OAI = "/oai"
HF = "/api/daily_papers"
PAGE1_IDS = ["2503.11731", "2503.14502", "2503.13288"]  # updated 03-19, 03-18, 03-17
PAGE2_IDS = ["2502.09876", "2503.12044"]  # updated 03-16, 03-15
EMPTY_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=cat:cs.CL</title>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">5</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">3</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:itemsPerPage>
</feed>
"""


def xml(name: str) -> Reply:
    return Reply(200, fixture(name), {"Content-Type": "application/atom+xml; charset=utf-8"})


def ids(items: list) -> list[str]:
    return [item.paper.arxiv_id for item in items if isinstance(item, ParsedItem)]


@pytest.fixture
def client(live_settings: Settings) -> Iterator[PoliteClient]:
    with PoliteClient(live_settings, backoff_base=0.01) as polite:
        yield polite


# arXiv API


def test_category_pages_until_total_results(replay: ReplayServer, client: PoliteClient, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page1.xml"), xml("arxiv_api_page2.xml"))
    items = list(fetch_category(client, live_settings, "cs.CL"))
    assert ids(items) == PAGE1_IDS + PAGE2_IDS
    seen = replay.seen(API)
    assert [s.param("start") for s in seen] == ["0", "3"]
    assert {s.param("search_query") for s in seen} == {"cat:cs.CL"}
    assert {(s.param("sortBy"), s.param("sortOrder"), s.param("max_results")) for s in seen} == {
        ("lastUpdatedDate", "descending", "3")
    }
    assert len({s.client_port for s in seen}) == 1  # one TCP connection for the whole crawl
    assert replay.unexpected == []


def test_category_stops_at_since_without_fetching_more(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page1.xml"), xml("arxiv_api_page2.xml"))
    items = list(fetch_category(client, live_settings, "cs.CL", since=date(2025, 3, 18)))
    assert ids(items) == PAGE1_IDS[:2]
    assert len(replay.seen(API)) == 1


def test_category_since_reaching_into_second_page(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page1.xml"), xml("arxiv_api_page2.xml"))
    items = list(fetch_category(client, live_settings, "cs.CL", since=date(2025, 3, 16)))
    assert ids(items) == PAGE1_IDS + PAGE2_IDS[:1]


def test_category_max_results_limits_the_request(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page1.xml"))
    items = list(fetch_category(client, live_settings, "cs.CL", max_results=2))
    assert ids(items) == PAGE1_IDS[:2]
    [seen] = replay.seen(API)
    assert seen.param("max_results") == "2"


def test_category_stops_at_an_empty_page(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page1.xml"), Reply(200, EMPTY_FEED))
    assert ids(list(fetch_category(client, live_settings, "cs.CL"))) == PAGE1_IDS
    assert len(replay.seen(API)) == 2


def test_malformed_page_is_fetched_again(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("truncated.xml"), xml("arxiv_api_page1.xml"), xml("arxiv_api_page2.xml"))
    assert ids(list(fetch_category(client, live_settings, "cs.CL"))) == PAGE1_IDS + PAGE2_IDS
    assert [s.param("start") for s in replay.seen(API)] == ["0", "0", "3"]


def test_malformed_twice_is_source_unavailable(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("truncated.xml"), xml("arxiv_api_error.xml"))
    with pytest.raises(SourceUnavailable, match="malformed document twice"):
        list(fetch_category(client, live_settings, "cs.CL"))


def test_category_behind_transient_errors(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, Reply(503, headers={"Retry-After": "0"}), xml("arxiv_api_page1.xml"), Reply(429))
    replay.script(API, xml("arxiv_api_page2.xml"))
    assert ids(list(fetch_category(client, live_settings, "cs.CL"))) == PAGE1_IDS + PAGE2_IDS


@pytest.mark.parametrize("good", ["cs.CL", "hep-th", "math.AG", "cond-mat.mes-hall", "physics.acc-ph", "q-bio.NC"])
def test_valid_categories(good: str) -> None:
    assert check_category(good) == good


@pytest.mark.parametrize("bad", ["", "cs CL", "cat:cs.CL", "cs.CL OR x", "CS.cl", "cs.", "cs.CL&start=9"])
def test_invalid_category_fails_before_any_request(replay: ReplayServer, client, live_settings, bad) -> None:
    with pytest.raises(InvalidInput, match="not an arXiv category"):
        fetch_category(client, live_settings, bad)
    assert replay.seen() == []


def test_fetch_ids_returns_what_came(replay: ReplayServer, client, live_settings) -> None:
    replay.script(API, xml("arxiv_api_page2.xml"))
    found = fetch_ids(client, live_settings, ["2502.09876v3", "arXiv:2503.12044", "2503.99999"])
    assert [item.paper.arxiv_id for item in found] == PAGE2_IDS
    [seen] = replay.seen(API)
    assert seen.param("id_list") == "2502.09876v3,2503.12044,2503.99999"
    assert seen.param("max_results") == "3"


def test_fetch_ids_rejects_a_bad_id(client, live_settings) -> None:
    with pytest.raises(InvalidInput, match="not an arXiv id"):
        fetch_ids(client, live_settings, ["2503.11731", "not-an-id"])


# OAI-PMH


def test_oai_follows_resumption_token_and_reports_last_datestamp(replay: ReplayServer, client, live_settings) -> None:
    replay.script(OAI, xml("oai_arxivraw_page1.xml"), xml("oai_arxivraw_page2.xml"))
    run = harvest(client, live_settings, "cs", date(2025, 3, 17))
    found = ids(list(run))
    assert {"2503.13288", "2503.11731", "2502.09876", "2503.12044"} <= set(found)
    assert run.pages == 2
    assert run.last_datestamp == "2025-03-20"
    first, second = replay.seen(OAI)
    assert first.query == {
        "verb": ["ListRecords"],
        "metadataPrefix": ["arXivRaw"],
        "set": ["cs"],
        "from": ["2025-03-17"],
    }
    assert second.query == {"verb": ["ListRecords"], "resumptionToken": ["7291034|4"]}
    assert replay.unexpected == []


def test_oai_until_is_sent(replay: ReplayServer, client, live_settings) -> None:
    replay.script(OAI, xml("oai_no_records.xml"))
    list(harvest(client, live_settings, "physics:hep-th", date(2025, 3, 1), until=date(2025, 3, 2)))
    [seen] = replay.seen(OAI)
    assert (seen.param("set"), seen.param("until")) == ("physics:hep-th", "2025-03-02")


def test_oai_no_records_match_yields_nothing(replay: ReplayServer, client, live_settings) -> None:
    replay.script(OAI, xml("oai_no_records.xml"))
    run = harvest(client, live_settings, "cs", date(2025, 3, 21))
    assert list(run) == []
    assert run.pages == 1
    assert run.last_datestamp is None


def test_oai_malformed_page_is_fetched_again(replay: ReplayServer, client, live_settings) -> None:
    replay.script(OAI, xml("oai_arxivraw_page1.xml"), xml("truncated.xml"), xml("oai_arxivraw_page2.xml"))
    run = harvest(client, live_settings, "cs", None)
    assert "2503.12044" in ids(list(run))
    assert [s.param("resumptionToken") for s in replay.seen(OAI)] == [None, "7291034|4", "7291034|4"]
    assert replay.seen(OAI)[0].param("from") is None


def test_oai_rejects_bad_arguments(client, live_settings) -> None:
    with pytest.raises(InvalidInput, match="not an OAI set"):
        harvest(client, live_settings, "cs&verb=Identify", None)
    with pytest.raises(InvalidInput, match="before"):
        harvest(client, live_settings, "cs", date(2025, 3, 2), until=date(2025, 3, 1))


# Hugging Face


def test_hf_daily(replay: ReplayServer, client, live_settings) -> None:
    replay.script(HF, Reply(200, fixture("hf_api_daily.json"), {"Content-Type": "application/json"}))
    items = fetch_daily(client, live_settings, date(2025, 3, 17))
    assert all(isinstance(item, ParsedItem) for item in items)
    assert ids(items) == ["2503.11731", "2503.10480", "2503.09917"]
    first = items[0]
    assert first.paper.title == "Sparse Mixture-of-Experts Adapters for Low-Resource Machine Translation"
    assert first.paper.authors == ("Jiří Novák", "Zoë Lefèvre", "Wei Zhang")
    assert first.paper.code_url == "https://github.com/example-lab/sparse-moe-adapters"
    assert first.listing is not None
    assert (first.listing.list_date, first.listing.upvotes) == (date(2025, 3, 17), 134)
    assert first.listing.submitter == "akhaliq"
    assert items[1].paper.project_url == "https://example-lab.github.io/camctrl"
    assert items[2].paper.code_url is None
    [seen] = replay.seen(HF)
    assert seen.param("date") == "2025-03-17"
    assert seen.param("limit") == "100"


def test_hf_bad_json_is_fetched_again(replay: ReplayServer, client, live_settings) -> None:
    replay.script(HF, Reply(200, b'[{"paper": '), Reply(200, fixture("hf_api_daily.json")))
    assert len(fetch_daily(client, live_settings, date(2025, 3, 17))) == 3


def test_hf_bad_json_twice_is_source_unavailable(replay: ReplayServer, client, live_settings) -> None:
    replay.script(HF, Reply(200, b"<html>Bad gateway</html>"), Reply(200, b'{"error": "Invalid date"}'))
    with pytest.raises(SourceUnavailable, match="expected a JSON list"):
        fetch_daily(client, live_settings, date(2025, 3, 17))
