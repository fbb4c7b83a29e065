"""Recommendations for one reader: the For you ranking over feed candidates and search vectors, and its evaluation."""
