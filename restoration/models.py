"""Restoration jobs and condition reports arrive with the damage and restoration issues."""
