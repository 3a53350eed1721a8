"""One module per mutation: its input, its result union, its permission and its resolver."""
