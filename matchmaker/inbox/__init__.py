"""The inbox: each user's notifications."""
