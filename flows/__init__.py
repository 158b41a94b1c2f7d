"""Flows: chatbot scenarios as JSON graphs. The stored document (flows.schema) is read by
flows.loading into a flows.graph.Flow, checked by flows.validation, and run one event at a time by
the pure flows.engine.step. The contract is in docs/flows.md."""
