"""Use cases: one module per operation. Each opens one unit of work, applies domain rules,
commits, and publishes the committed events."""
