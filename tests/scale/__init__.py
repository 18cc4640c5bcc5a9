"""Scale-out on real engines: Dask LocalCluster, Optuna worker processes, an MLflow server, PostgreSQL (-m scale)."""
