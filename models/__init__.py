"""Model wrappers (embeddings, topics, frames) and codebooks, each with one verb."""
