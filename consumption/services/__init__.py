"""The use cases: import files, fetch and refresh from RTE, fill an empty database at
start-up, refresh periodically. They receive the store and the RTE client they use."""
