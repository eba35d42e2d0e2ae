"""composelint: static analysis for Docker Compose files and Dockerfiles."""

__version__ = "0.1.0"
