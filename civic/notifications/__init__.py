"""In-app notifications, email preferences and follows."""
