"""Two-layer verification of dialogs (DESIGN §1.4): rules, an optional execution check, an LLM judge.

Kept import-free: the execution check's worker process imports this package and should start fast.
"""
