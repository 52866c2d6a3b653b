"""The Jupyter Server extension: its application (the composition root) and its REST handlers."""
