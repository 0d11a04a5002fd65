"""The API library: rule checks, subtree sampling, evolution, the API writer, synthesis and statistics."""
