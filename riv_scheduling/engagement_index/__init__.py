"""The Engagemangsindex adapter: Update requests (XML), the HTTP client with mutual TLS, and the
deliverer that sends the outbox (`riv-scheduling deliver`, `riv-scheduling outbox ...`)."""
