"""Scoring a model: GraphQL, tool-call and key-fact scores, the retrieval (RAG) baseline, and the hand-written golden set."""
