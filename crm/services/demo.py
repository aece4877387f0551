"""The demo data set (placeholder until written)."""


def load_demo(people: int = 500) -> dict:
    """Load demo data."""
    return {}
