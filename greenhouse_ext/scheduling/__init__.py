"""Schedules, their occurrences and claims, and the alerts they send."""
