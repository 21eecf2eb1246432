"""File output helpers shared by every command."""
