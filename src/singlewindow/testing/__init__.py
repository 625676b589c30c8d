"""Helpers for tests and the bench that run the project as production does (not collected as tests)."""
