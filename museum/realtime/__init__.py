"""Live presence in gallery rooms and educator-led guided tours over websockets (PROTOCOL.md)."""
