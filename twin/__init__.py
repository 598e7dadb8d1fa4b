"""twin: a supply chain digital twin for disruption stress testing."""

__version__ = "0.1.0"
