"""The API library: rule checks, subtree sampling, evolution prompts, synthesis and statistics."""
