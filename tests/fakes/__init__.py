"""Loopback servers that speak the real wire protocols of external services (Telegram Bot API,
OpenAI-compatible models, WhatsApp). Each is reached through the same base-URL setting as production."""
