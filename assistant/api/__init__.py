"""FastAPI transport: thin routes over the Assistant service."""
