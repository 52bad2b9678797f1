"""Data handling: series input, windows, scalers and the bundled datasets."""
