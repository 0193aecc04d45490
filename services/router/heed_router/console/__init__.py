"""The agent console: server-rendered pages at /console over the cases desk (docs/CONSOLE.md)."""
