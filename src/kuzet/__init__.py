"""kuzet: open-content monitoring for financial pyramids, illegal gambling and prohibited finance."""

__version__ = "0.1.0"
