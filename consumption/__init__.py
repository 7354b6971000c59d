"""France's electricity consumption, half-hour by half-hour, from RTE's éCO2mix data."""

__version__ = "0.1.0"
