"""The catalog's web face: view models, formatting and charts for the server-rendered pages."""
