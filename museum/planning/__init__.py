"""Visit planning: the building as a graph, orienteering solvers, a learned policy, crowds.

Framework-free: solvers take arrays and graphs and return routes; Django glue lives in
museum/planning/services.py.
"""
