"""The project setup: its models, its sheets in the master, their checks, and the Northern Connections data."""
