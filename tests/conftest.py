"""Shared by every tier; pytest puts this folder on sys.path so labtools imports."""
