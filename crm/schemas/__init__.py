"""Marshmallow schemas: API input, output and query arguments, one module per area."""
