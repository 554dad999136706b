"""flowtui: a terminal app for Elastic Path Commerce Cloud flows, fields and customers."""

__version__ = "0.1.0"
