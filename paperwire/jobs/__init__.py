"""Background work (fetch, embed, index, send, prune) as jobs in the database, run by `paperwire worker`."""
