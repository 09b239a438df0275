"""The app's widgets: line-rendered panes (articles, versions, diff) and one-line bars."""
