"""Helpers shared by the course notebooks: models, tiny models, data, metrics, memory.

Each module is small and plain on purpose: open it and read it.
"""

__version__ = "0.1.0"
