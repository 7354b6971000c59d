"""All that knows RTE's éCO2mix data: the files' format, where they are on disk, RTE's server."""
