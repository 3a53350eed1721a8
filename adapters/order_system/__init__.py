"""The shop's external order system: an HTTP client for it and a stand-in server (simulator)."""
