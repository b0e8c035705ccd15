"""Install the Solara front-end assets for offline use (filled in by the dashboard work)."""
