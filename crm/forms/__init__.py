"""WTForms forms for the web UI, one module per area."""
