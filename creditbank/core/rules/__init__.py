"""The rules of each domain as pure functions (credits, money)."""
