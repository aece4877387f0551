"""The domain: plain functions over the database session, one use case each."""
