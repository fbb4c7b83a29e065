"""The feed: daily, weekly and monthly lists, votes, comments and the trending score."""
