"""HTTP routes, one module per audience: the search API, federation outputs, health."""
