"""Papers: the record every source is parsed into, and ingestion into the store."""
