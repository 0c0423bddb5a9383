"""The officials' dashboard and the public statistics: figures from SQL aggregates and charts."""
