"""Fault injection for tests: a TCP proxy on 127.0.0.1 that can delay, reset or swallow traffic."""
