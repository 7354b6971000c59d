"""SQLite: the schema and every SQL statement, the repositories (writes) and the reader
(the API's read-only queries); and the same repositories in memory."""
