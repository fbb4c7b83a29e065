"""Settings: every option declared once (name, default, env var PAPERWIRE_*, help), built once, passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperwire.errors import ConfigError


class Settings(BaseSettings):
    """All of Paperwire's configuration. Build it with `load_settings()` and pass it down."""

    # extra="ignore": an environment that still sets a removed option (PAPERWIRE_DAILY_LIST_SOURCE) keeps loading
    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", extra="ignore", frozen=True)

    home: Path = Field(
        Path("./paperwire-data"),
        description="Folder for the SQLite database, indexes and other local state.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database: empty for SQLite in `home`, or postgresql://user:pass@host/db.",
    )
    ingest_batch_size: int = Field(
        1000, ge=1, description="Records written per transaction while ingesting; a crash loses at most one batch."
    )
    sqlite_busy_timeout_ms: int = Field(
        10000, ge=0, description="How long an SQLite writer waits for a lock before failing."
    )
    arxiv_api_url: str = Field("https://export.arxiv.org/api/query", description="Base URL of the arXiv API (Atom).")
    oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="Base URL of arXiv's OAI-PMH endpoint.")
    hf_api_url: str = Field(
        "https://huggingface.co/api/daily_papers", description="Hugging Face daily papers API endpoint."
    )
    request_interval: float = Field(
        3.0, ge=0, description="Seconds between two requests to one remote source (arXiv asks for 3)."
    )
    zotero_api_url: str = Field(
        "https://api.zotero.org", description="Base URL of the Zotero Web API (library imports, read-only)."
    )
    arxiv_pdf_url: str = Field(
        "https://arxiv.org/pdf", description="Base URL of arXiv's PDFs (`{base}/{id}`), read to draw thumbnails."
    )
    http_timeout: float = Field(30.0, gt=0, description="Seconds before a remote request times out.")
    http_retries: int = Field(
        4, ge=0, description="Retries of a request that failed with 429, 503, a timeout or a connection error."
    )
    arxiv_page_size: int = Field(100, ge=1, le=2000, description="Results per arXiv API request.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Sentence-transformers model name or path for semantic search; the default ships inside "
        "Paperwire (runs on ONNX Runtime without PyTorch). `NAME@128` cuts documents at 128 tokens, `NAME@int8` "
        "runs int8 weights (both faster, both stored as another model). A folder made by `paperwire distill` "
        "selects the fast static model.",
    )
    embedding_device: str = Field("auto", description="Where to run the embedder: auto (GPU if present), cpu, cuda.")
    embedding_backend: str = Field(
        "auto",
        pattern="^(auto|onnx|torch)$",
        description="What runs a sentence-transformers model: onnx (ONNX Runtime on the CPU, no PyTorch; BERT-family "
        "models with mean pooling, such as the default), torch (sentence-transformers on PyTorch), or "
        "auto (onnx where it can, else torch; torch when embedding_device is cuda).",
    )
    embed_batch_size: int = Field(32, ge=1, description="Papers embedded per model call.")
    vector_candidates: int = Field(
        2000,
        ge=10,
        description="Candidates kept by the binary first stage before full-precision rescoring (1,000 gave "
        "recall@10 0.92-0.94 on typed questions at 287 k papers, 2,000 gives 0.96-0.99).",
    )
    fusion: str = Field(
        "calibrated",
        pattern="^(calibrated|linear|rrf)$",
        description="How hybrid search fuses its rankings: calibrated (BM25 over the query's full-match score plus "
        "cosine; best on scifact-train), linear (min-max normalised sum) or rrf.",
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant of hybrid search.")
    keyword_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Weight of the keyword side when fusion is calibrated or linear (semantic gets the rest).",
    )
    relevance_floor: bool = Field(
        True,
        description='A search that nothing answers closely says so ("no close matches", the nearest few labelled '
        "weak; feeds and digest topics get none) instead of listing the best of the poor matches.",
    )
    index_sync_interval: float = Field(
        2.0, ge=0, description="Seconds between checks that the search indexes are up to date with the database."
    )
    search_index: str = Field(
        "embedded",
        pattern="^(embedded|database)$",
        description="Where PostgreSQL deployments search: embedded (each node keeps its own binary vector index and "
        "tantivy index under `home`/index, synced incrementally from the database at most every "
        "index_sync_interval s; 1.3-43x faster at the median in bench/nodes.py, a new paper searchable within about "
        "that interval) or database (pgvector and PostgreSQL full-text search in the database: nothing kept per "
        "node, a paper searchable as soon as it commits). SQLite is always embedded. See docs/deploy.md.",
    )
    site_url: str = Field(
        "http://127.0.0.1:8000", description="Public base URL of the site, used in links sent by email and in feeds."
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs sessions and links. Empty: one is generated once and kept in `home`/secret_key "
        "(mode 0600), never in the database.",
    )
    secure_cookies: bool | None = Field(
        None, description="Mark cookies Secure (HTTPS only). Empty: on when site_url starts with https://."
    )
    followed_categories: str = Field(
        "cs.CL cs.CV cs.AI cs.LG",
        description="Space-separated arXiv categories this instance follows: their new papers fill New on arXiv.",
    )
    trending_gravity: float = Field(
        1.8, ge=0, description="Time decay of the trending score: votes / (hours since listed + 2) ** gravity."
    )
    submission_max_age_days: int = Field(
        14, ge=0, description="Oldest paper (days since first published) that may be submitted."
    )
    submissions_per_day: int = Field(10, ge=0, description="Submissions one user may make per day.")
    library_upload_max_bytes: int = Field(
        5_000_000, ge=1, description="Largest library file (BibTeX, RIS, CSL-JSON, ids) the settings page accepts."
    )
    library_imports_per_hour: int = Field(
        20, ge=1, description="Library imports (uploads and Zotero syncs on the site) one user may start per hour."
    )
    library_fetch_max: int = Field(
        2000, ge=0, description="Unknown arXiv ids one library import fetches from arXiv at most (the rest unmatched)."
    )
    signin_link_minutes: int = Field(15, ge=1, description="How long a sign-in link stays valid.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server for sign-in links and digests.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_security: str = Field("none", pattern="^(none|starttls|tls)$", description="none, starttls or tls.")
    smtp_user: str | None = Field(None, description="SMTP user name (if the server needs one).")
    smtp_password: str | None = Field(None, description="SMTP password (from the environment only).")
    mail_from: str = Field("Paperwire <paperwire@localhost>", description="Sender address of every mail.")
    user_agent: str = Field(
        "paperwire/0.1 (self-hosted research paper hub)", description="User-Agent sent to remote sources."
    )
    signin_mails_per_address: int = Field(
        3,
        ge=1,
        description="Sign-in mails one address may be sent per signin_link_minutes (while it is "
        "limited, the links already mailed to it still work, so many senders cannot lock its owner out).",
    )
    signin_mails_per_ip: int = Field(20, ge=1, description="Sign-in mails one client IP address may request per hour.")
    votes_per_hour: int = Field(300, ge=1, description="Votes (and vote withdrawals) one user may make per hour.")
    comments_per_hour: int = Field(30, ge=1, description="Comments one user may post or edit per hour.")
    subscription_mails_per_address: int = Field(
        3, ge=1, description="Subscription confirmation mails one address may be sent per hour."
    )
    subscription_mails_per_ip: int = Field(
        20, ge=1, description="Digest subscriptions one client IP address may request per hour."
    )
    subscription_expiry_hours: int = Field(
        48, ge=1, description="How long a confirmation link stays valid; unconfirmed subscriptions are then purged."
    )
    digest_rate: float = Field(
        20.0, ge=0, description="Digests sent per second by one sender process (0: as fast as the server takes them)."
    )
    digest_senders: int = Field(
        1,
        ge=1,
        le=64,
        description="Sender processes of one digest run, each taking a share of the subscribers (one core each); "
        "`digest_rate` paces each of them.",
    )
    digest_retries: int = Field(
        3, ge=0, description="Retries of a digest the mail server refused temporarily (4xx) or could not take."
    )
    digest_retry_backoff: float = Field(
        2.0, ge=0, description="Seconds before the first retry of a digest; doubled for each further one."
    )
    digest_max_permanent_failures: int = Field(
        3, ge=1, description="Permanent refusals (5xx) in a row after which no more digests go to an address."
    )
    digest_claim_lease: float = Field(
        600.0, gt=0, description="Seconds after which a digest claimed by a sender that died may be claimed again."
    )
    digest_topic_mode: str = Field(
        "hybrid",
        pattern="^(hybrid|keyword|semantic)$",
        description="How a subscriber's topics are searched: hybrid, keyword (no embedder needed) or semantic.",
    )
    for_you_method: str = Field(
        "svm+popularity",
        pattern=r"^(centroid|nearest|logistic|svm)(\+popularity)?$",
        description="How For you (and the digests' personal picks) rank papers for a reader: centroid, nearest, "
        "logistic or svm over the paper vectors, '+popularity' fusing that with the upvotes (see `paperwire eval-recs`).",
    )
    scheduler_enabled: bool = Field(
        True,
        description="Run a job worker (fetch, embed, index, send digests) inside `paperwire serve`. "
        "Off when separate `paperwire worker` processes do that work.",
    )
    scheduler_interval: float = Field(
        300.0,
        gt=0,
        description="Period in seconds of the fetch, embed, index, send and thumbnails jobs (each runs once per period).",
    )
    scheduler_embed_limit: int = Field(
        500, ge=0, description="Papers one embed job embeds at most; a follow-up job continues a larger backlog."
    )
    scheduler_fetch: bool = Field(
        True, description="Whether the fetch job fetches new papers of the followed categories from the arXiv API."
    )
    scheduler_thumbnails: bool = Field(
        False,
        description="Whether the worker draws a thumbnail of the first PDF page of newly listed papers each period "
        "(one PDF download from arXiv per paper; `paperwire thumbnails` does it by hand).",
    )
    scheduler_thumbnail_limit: int = Field(
        100, ge=1, description="PDFs one thumbnails job downloads at most; the next period goes on with the rest."
    )
    thumbnail_retry_hours: float = Field(
        24.0,
        ge=0,
        description="Hours before a paper whose PDF could not be fetched or drawn is tried again; doubled for each "
        "further failure.",
    )
    job_lease: float = Field(
        60.0,
        gt=0,
        description="Seconds a worker holds a job without renewing it; after that (the worker died) "
        "another worker takes the job over. Renewed every third of it while the job runs.",
    )
    job_poll_interval: float = Field(
        5.0, gt=0, description="Seconds an idle worker waits before looking for due jobs again."
    )
    job_max_attempts: int = Field(3, ge=1, description="Attempts of a job before it is marked failed.")
    job_retry_delay: float = Field(
        30.0, ge=0, description="Seconds before a failed job is tried again; doubled for each further attempt."
    )
    job_retention_days: float = Field(
        7.0, gt=0, description="Days finished jobs are kept before the prune job deletes them."
    )
    worker_metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port on 127.0.0.1 where a job worker (`paperwire worker`, or the one inside "
        "`paperwire serve`) serves its own Prometheus metrics (jobs run, embedded papers); 0: none.",
    )
    metrics_token: str | None = Field(
        None,
        description="Token that /metrics asks of every client (`Authorization: Bearer <token>`); from the "
        "environment only. Empty: /metrics answers loopback clients (127.0.0.0/8, ::1) only.",
    )
    log_format: str = Field(
        "text", pattern="^(text|json)$", description="Log lines as text or as JSON objects (one a line)."
    )
    log_level: str = Field(
        "INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Least severe log level written to standard error."
    )


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment plus explicit overrides (CLI options); once per process."""
    clean: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc
