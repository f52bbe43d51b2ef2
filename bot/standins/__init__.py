"""Local stand-ins for external services (used by the offline demo and the test-suite)."""
