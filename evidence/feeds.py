"""Atom feeds of new and changed reviews and newly reviewed articles."""
