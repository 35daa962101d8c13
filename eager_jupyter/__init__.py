"""eager_jupyter: run LLM-written code in Jupyter while the model is still writing it."""
