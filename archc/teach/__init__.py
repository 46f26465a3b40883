"""Tools for teaching with archc: explain every number, solve for a network parameter, report the
input sizes a network accepts, compare several input sizes, sweep a parameter.

Each takes checked networks (or a function that checks one) and returns a report object that
prints as text and shows as a table in a notebook; :mod:`archc.api` loads the specs.
"""
