"""Excel/CSV in and out: reading and writing files safely, the import preview, the exports."""
