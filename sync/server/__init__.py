"""The district server: receives every station's batches and shows where each station stands."""
