"""toolace: synthetic function-calling training data, the ToolACE way, on a local vLLM engine."""

__version__ = "0.1.0"
