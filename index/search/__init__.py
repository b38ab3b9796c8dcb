"""Search backends: the embedded SQLite FTS5 index (default) and Elasticsearch/OpenSearch."""
