"""Modal screens: help, add URL, confirm delete; and the error screen for a broken cache."""
