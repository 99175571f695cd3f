"""Open datasets: turns indicator results from ``search`` into published files or portal datasets."""
