"""The app's side of the matcher (recommendations stored as rows) and officials' decisions on
pairings."""
