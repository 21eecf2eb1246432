"""Latency measurement: protocol, statistics, environment capture and result records."""
