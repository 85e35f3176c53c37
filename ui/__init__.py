"""Gradio front ends mounted on the FastAPI app. No business logic: they call the Assistant service."""
