"""Search: embedder, keyword index, vector index, hybrid ranking, similar papers, evaluation."""
