"""The bots: the runtime that runs flows for conversations the bot owns, and (later) the AI bot."""
