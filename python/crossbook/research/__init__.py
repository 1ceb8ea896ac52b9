"""Research pipelines built on the core engines: leader-vs-noise classification, cross-asset lead-lag."""
