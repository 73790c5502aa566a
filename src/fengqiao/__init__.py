"""Fengqiao (枫桥): grassroots social governance for a county."""

__version__ = "0.1.0"
